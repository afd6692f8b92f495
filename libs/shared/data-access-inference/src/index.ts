export * from './encoding-engine';
export * from './inference-pool';
export * from './inference-protocol';
export * from './model-bundle';
export * from './text-tokenizer';
export * from './projection-file';
