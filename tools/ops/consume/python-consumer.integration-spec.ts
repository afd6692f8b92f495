/**
 * The README's Python consumer (docs/examples/consumers/read_profiles.py: confluent-kafka and
 * fastavro, the packages `npm run setup` installs under .cache/python-packages) on a real broker,
 * against profiles the built fuser published: every user it prints matches the profile the
 * TypeScript serde decodes (version, counts, interests, vector heads), and an erased user shows
 * as erased. Skips, saying why, without python3 or the packages.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { unpackFloat32 } from '@profilestream/contracts';
import { testKafkaSettings } from '@profilestream/kafka/testing';
import { sampleProfilesFixture } from '@profilestream/tools-runtime/testing';

const repoRoot = resolve(__dirname, '../../..');
const packages = join(repoRoot, '.cache/python-packages');

function skipReason(): string | null {
  try {
    execFileSync('python3', ['-c', 'import confluent_kafka, fastavro'], {
      stdio: 'ignore',
      env: { ...process.env, PYTHONPATH: packages },
    });
    return null;
  } catch {
    return existsSync(packages)
      ? 'python3 cannot import confluent_kafka and fastavro'
      : 'no .cache/python-packages (npm run setup installs them)';
  }
}
const skip = skipReason();
if (skip) console.warn(`Python consumer test skipped: ${skip}`);

(skip ? describe.skip : describe)('the Python consumer of profiles.v1 (docs/examples/consumers)', () => {
  const { topics, latest } = sampleProfilesFixture('python');

  it('prints every profile as the TypeScript serde decodes it, and the erased user as erased', async () => {
    const { stdout } = await promisify(execFile)(
      'python3',
      [
        'docs/examples/consumers/read_profiles.py',
        '--brokers',
        testKafkaSettings().brokers.join(','),
        '--topic',
        topics.profiles.name,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, PYTHONPATH: packages },
        timeout: 60_000,
      },
    );
    // The newest line per user, as a compacted topic's reader keeps it.
    const printed = new Map<string, Record<string, unknown>>();
    for (const line of stdout.trim().split('\n')) {
      const record = JSON.parse(line) as { userId: string };
      printed.set(record.userId, record);
    }
    const expected = await latest();
    expect([...printed.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(printed.get('bob')).toEqual({ userId: 'bob', erased: true });
    for (const userId of ['ann', '用户一']) {
      const p = expected.get(userId)!;
      const vectors = [
        ...p.horizons.map((v) => ['horizon', v] as const),
        ...p.channels.map((v) => ['channel', v] as const),
      ];
      expect(printed.get(userId)).toEqual({
        userId,
        version: p.version,
        eventCount: p.eventCount,
        modelId: p.modelId,
        dim: p.dim,
        interests: p.interests.map((i) => i.label),
        vectors: vectors.map(([kind, v]) => ({
          kind,
          name: v.name,
          weight: expect.closeTo(v.weight, 9),
          head: Array.from(unpackFloat32(v.vector).subarray(0, 3)),
        })),
      });
    }
  }, 90_000);
});
