export * from './bootstrap';
export * from './health.registry';
export * from './logger';
export * from './metrics.service';
export * from './observability.module';
export * from './observability.options';
