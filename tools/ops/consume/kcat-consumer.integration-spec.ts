/**
 * The README's kcat example (docs/examples/consumers/read_profiles_kcat.sh) on a real broker,
 * against profiles the built fuser published: it lists every record of the topic as kafkajs reads
 * it (user, partition, offset, timestamp, value size), the profiles with the UserProfile
 * fingerprint of schemas/fingerprints.json, and an erased user as erased. Fails, saying to run
 * `npm run setup` (which installs Debian's kcat), where kcat is missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { readTopicToEnd } from '@profilestream/kafka';
import { testKafkaSettings } from '@profilestream/kafka/testing';
import { sampleProfilesFixture } from '@profilestream/tools-runtime/testing';

const repoRoot = resolve(__dirname, '../../..');
const script = 'docs/examples/consumers/read_profiles_kcat.sh';

try {
  execFileSync('kcat', ['-V'], { stdio: 'ignore' });
} catch {
  throw new Error("kcat is not installed: run `npm run setup` (it installs Debian's kcat package)");
}

const run = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)('bash', [script, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 });

describe('the kcat reader of profiles.v1 (docs/examples/consumers)', () => {
  const { kafka, topics, latest } = sampleProfilesFixture('kcat');
  const fingerprint = (
    JSON.parse(readFileSync(join(repoRoot, 'schemas/fingerprints.json'), 'utf8')) as {
      schemas: { UserProfile: { fingerprint: string } };
    }
  ).schemas.UserProfile.fingerprint;

  it('lists every record as kafkajs reads it, the profiles with the UserProfile fingerprint and the erased user as erased', async () => {
    const { stdout } = await run(['--topic', topics.profiles.name], {
      KAFKA_BROKERS: testKafkaSettings().brokers.join(','),
    });
    const [header, ...lines] = stdout.trim().split('\n');
    expect(header?.split('\t')).toEqual([
      'userId',
      'partition',
      'offset',
      'timestampMs',
      'bytes',
      'kind',
      'fingerprint',
    ]);

    // Every record, older versions of a profile included, with what the script prints for it.
    const records: string[] = [];
    await readTopicToEnd(kafka, topics.profiles.name, (m) => {
      const value =
        m.value === null ? null : { size: m.value.length, fingerprint: m.value.subarray(2, 10).toString('hex') };
      records.push(
        [
          m.key!.toString(),
          m.partition,
          m.offset,
          m.timestamp,
          value?.size ?? '-',
          value ? 'profile' : 'erased',
          value?.fingerprint ?? '-',
        ].join('\t'),
      );
    });
    expect([...lines].sort()).toEqual(records.sort());

    // The last line per user, as a compacted topic's reader keeps it: the users the fuser published.
    const current = new Map(lines.map((line) => line.split('\t')).map((fields) => [fields[0], fields] as const));
    const expected = await latest();
    expect([...current.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(current.get('bob')!.slice(4)).toEqual(['-', 'erased', '-']);
    for (const userId of ['ann', '用户一']) {
      expect(expected.get(userId)).not.toBeNull();
      expect(current.get(userId)!.slice(5)).toEqual(['profile', fingerprint]);
    }
  }, 90_000);

  it('answers --help before anything else and refuses an unknown argument in one line', async () => {
    const help = await run(['--help'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(help.stdout).toMatch(/^Usage: read_profiles_kcat\.sh/);
    await expect(run(['--nope', '--help'])).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'error: unexpected argument "--nope" (see --help)\n',
    });
  });
});
