import { loadStreamServiceEnv, streamServiceEnvSchema } from '@profilestream/config';
import { undocumentedVariables } from '@profilestream/config/testing';
import { encoderEnv } from './encoder.env';

describe('encoder environment', () => {
  it('documents every variable in the README configuration table', () => {
    expect(undocumentedVariables(streamServiceEnvSchema(encoderEnv))).toEqual([]);
  });

  it('names bad shared and own variables in one error', () => {
    expect(() =>
      loadStreamServiceEnv(encoderEnv, { HTTP_PORT: '0', KAFKA_BROKERS: ' ', ENCODER_WORKERS: '-1' }),
    ).toThrow(/HTTP_PORT: .*\n.*ENCODER_WORKERS: /);
  });
});
