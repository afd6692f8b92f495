export * from './redis.client';
export * from './scripts';
export * from './versioned-hash';
