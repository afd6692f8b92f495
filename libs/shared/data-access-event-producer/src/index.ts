export * from './event-producer';
export * from './replay-mapping';
