export * from './redis.client';
export * from './redis-errors';
export * from './scan-keys';
export * from './scripts';
export * from './versioned-hash';
