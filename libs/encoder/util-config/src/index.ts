export * from './encoder.env';
