export * from './errors';
export * from './metrics';
export * from './model';
export * from './select';
export * from './split';
export * from './train';
