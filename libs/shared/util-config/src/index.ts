export * from './env';
export * from './shared-env';
export * from './stream-service-env';
