export * from './decayed-vector';
export * from './errors';
export * from './fuse';
export * from './interests';
export * from './profile-state';
export * from './state-codec';
export * from './to-published';
export type { Dict } from './records';
export * from './topic-records';
