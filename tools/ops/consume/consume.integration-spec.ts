/**
 * `npm run consume` on a real broker: records produced onto a prefixed clicks topic (two users, a
 * value that is not Avro, a tombstone) are printed decoded, filtered by key, bounded by --max.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { SingleObjectSerde, topicCatalog, type Click } from '@profilestream/contracts';
import { createTopic, testKafka, uniqueName } from '@profilestream/kafka/testing';

const repoRoot = resolve(__dirname, '../../..');

describe('npm run consume', () => {
  const prefix = `${uniqueName('consume')}.`;
  const topic = topicCatalog(prefix).clicks.name;
  const kafka = testKafka('consume-spec');
  const serde = new SingleObjectSerde('Click');
  const click = (i: number, userId: string): Click => ({
    eventId: `c${i}`,
    userId,
    itemId: `item-${i}`,
    action: 'click',
    dwellMs: null,
    platform: 'test',
    occurredAt: 1_700_000_000_000 + i,
  });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, topic, 1);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'ann', value: serde.encode(click(1, 'ann')) },
        { key: 'bob', value: serde.encode(click(2, 'bob')) },
        { key: 'ann', value: Buffer.from('not avro') },
        { key: 'ann', value: null },
        { key: 'ann', value: serde.encode(click(3, 'ann')) },
      ],
    });
    await producer.disconnect();
  });

  const consume = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(
      resolve(repoRoot, 'node_modules/.bin/tsx'),
      ['tools/ops/consume/consume.ts', '--topic', 'clicks.v1', ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix },
      },
    );
    return stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; offset: string; value: unknown });
  };

  it('prints every record from the beginning, decoded, and stops at the end', async () => {
    const lines = await consume('--from-beginning');
    expect(lines.map((l) => [l.offset, l.key])).toEqual([
      ['0', 'ann'],
      ['1', 'bob'],
      ['2', 'ann'],
      ['3', 'ann'],
      ['4', 'ann'],
    ]);
    expect(lines[1]!.value).toEqual(click(2, 'bob'));
    expect(lines[2]!.value).toMatchObject({ bytes: 8, undecodable: expect.any(String) });
    expect(lines[3]!.value).toBeNull();
  }, 60_000);

  it("keeps one user's records, up to --max", async () => {
    const lines = await consume('--from-beginning', '--user', 'ann', '--max', '2');
    expect(lines.map((l) => l.offset)).toEqual(['0', '2']);
  }, 60_000);
});
