export * from './pooling';
export * from './projection';
export * from './run-planner';
export * from './fit-pca';
export * from './random';
export * from './embedding-space';
