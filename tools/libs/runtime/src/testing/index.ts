export * from './tiny-fuser';
