import { loadTextCleanerConfig } from './text-cleaner.config';

describe('text-cleaner configuration', () => {
  it('boots with defaults', () => {
    const config = loadTextCleanerConfig({});
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], clientId: 'text-cleaner', topicPrefix: '' });
    expect(config.cleaning).toEqual({ maxChars: 2000, minMeaningfulChars: 2 });
    expect(config.service.HTTP_PORT).toBe(8081);
  });

  it('fails at boot naming each bad variable', () => {
    const load = () =>
      loadTextCleanerConfig({ CLEANER_MAX_CHARS: '5', CLEANER_DEDUP_WINDOW_MS: 'soon', REDIS_URL: 'localhost' });
    expect(load).toThrow(/CLEANER_MAX_CHARS: must be at least 16 \(got "5"\)/);
    expect(load).toThrow(/CLEANER_DEDUP_WINDOW_MS: must be a number/);
    expect(load).toThrow(/REDIS_URL: must be a redis/);
  });
});
