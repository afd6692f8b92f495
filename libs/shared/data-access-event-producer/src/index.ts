export * from './event-producer';
