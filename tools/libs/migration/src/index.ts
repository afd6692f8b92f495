export * from './migrate.lib';
export * from './migration-run';
