export * from './tiny-fuser';
export * from './sample-profiles';
