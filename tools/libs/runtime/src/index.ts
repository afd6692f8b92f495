export * from './local-pipeline';
export * from './models';
export * from './service-process';
// The tools read the services' /metrics with the parser the services share.
export * from '@profilestream/prometheus-text';
export * from './group-lag';
export * from './compare-profiles';
