export * from './errors';
export * from './logistic';
export * from './metrics';
export * from './model';
export * from './select';
export * from './split';
export * from './train';
