export * from './pipeline-records';
export * from './events-dataset';
export * from './pacing';
export * from './sample-events';
export * from './send-events';
export * from './fixed-input';
