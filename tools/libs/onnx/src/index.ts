export * from './graph-builder';
export * from './ir';
export * from './protobuf';
export * from './write-model';
