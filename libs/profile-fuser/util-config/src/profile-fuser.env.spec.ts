import { loadStreamServiceEnv, streamServiceEnvSchema } from '@profilestream/config';
import { undocumentedVariables } from '@profilestream/config/testing';
import { explorerStages, fuserEnv } from './profile-fuser.env';

describe('profile-fuser environment', () => {
  it('documents every variable in the README configuration table', () => {
    expect(undocumentedVariables(streamServiceEnvSchema(fuserEnv))).toEqual([]);
  });

  it('names bad shared and own variables in one error', () => {
    expect(() =>
      loadStreamServiceEnv(fuserEnv, { HTTP_PORT: '0', KAFKA_BROKERS: ' ', FUSER_TOP_INTERESTS: '-1' }),
    ).toThrow(/HTTP_PORT: .*\n.*FUSER_TOP_INTERESTS: /);
  });

  it('reads the explorer stages, and names each malformed pair at boot', () => {
    expect(explorerStages(' text-cleaner=http://cleaner:8081/ , encoder=https://enc:8082').stages).toEqual([
      { name: 'text-cleaner', url: 'http://cleaner:8081' },
      { name: 'encoder', url: 'https://enc:8082' },
    ]);
    expect(() => loadStreamServiceEnv(fuserEnv, { FUSER_EXPLORER_STAGES: 'encoder=enc:8082,=http://x:1' })).toThrow(
      /FUSER_EXPLORER_STAGES: "encoder=enc:8082" is not name=http:\/\/host:port\n.*FUSER_EXPLORER_STAGES: "=http:\/\/x:1"/,
    );
  });
});
