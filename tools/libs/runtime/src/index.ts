export * from './local-pipeline';
export * from './models';
export * from './prometheus-text';
export * from './service-process';
