export * from './text-cleaner.env';
