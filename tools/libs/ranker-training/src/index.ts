export * from './train-from-topics';
