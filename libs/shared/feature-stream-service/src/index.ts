export * from './consumer-start';
export * from './stream-runtime';
export * from './stream-service.module';
export * from './stream-service.options';
