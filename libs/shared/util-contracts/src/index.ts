export * from './generated/schemas.generated';
export * from './crc64-avro';
export * from './errors';
export * from './schemas';
export * from './serde';
export * from './topics';
export * from './validation';
export * from './vectors';
