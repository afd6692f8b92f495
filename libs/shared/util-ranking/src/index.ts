export * from './artefact';
export * from './co-occurrence';
export * from './features';
export * from './point-in-time';
export * from './ranker';
export * from './score';
export * from './segments';
export * from './vectors';
