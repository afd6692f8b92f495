import { loadStreamServiceEnv, streamServiceEnvSchema } from '@profilestream/config';
import { undocumentedVariables } from '@profilestream/config/testing';
import { textCleanerEnv } from './text-cleaner.env';

describe('text-cleaner environment', () => {
  it('documents every variable in the README configuration table', () => {
    expect(undocumentedVariables(streamServiceEnvSchema(textCleanerEnv))).toEqual([]);
  });

  it('names bad shared and own variables in one error', () => {
    expect(() =>
      loadStreamServiceEnv(textCleanerEnv, { HTTP_PORT: '0', KAFKA_BROKERS: ' ', CLEANER_MAX_CHARS: '-1' }),
    ).toThrow(/HTTP_PORT: .*\n.*CLEANER_MAX_CHARS: /);
  });
});
