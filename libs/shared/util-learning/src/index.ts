export * from './errors';
export * from './logistic';
