import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEnv } from '@profilestream/config';
import { loadTextCleanerConfig, textCleanerEnvSchema } from './text-cleaner.config';

describe('text-cleaner configuration', () => {
  it('boots with defaults', () => {
    const config = loadTextCleanerConfig({});
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], clientId: 'text-cleaner', topicPrefix: '' });
    expect(config.cleaning).toEqual({ maxChars: 2000, minMeaningfulChars: 2 });
    expect(config.service.HTTP_PORT).toBe(8081);
  });

  it('fails at boot naming each bad variable', () => {
    expect(() => loadTextCleanerConfig({ CLEANER_MAX_CHARS: '5', CLEANER_DEDUP_WINDOW_MS: 'soon', REDIS_URL: 'localhost' })).toThrow(
      /CLEANER_MAX_CHARS: must be at least 16[\s\S]*CLEANER_DEDUP_WINDOW_MS: must be a number[\s\S]*REDIS_URL: must be a redis/,
    );
  });

  it('documents every variable in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const missing = describeEnv(textCleanerEnvSchema)
      .map((row) => row.name)
      .filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
