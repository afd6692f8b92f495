import { topicCatalog } from '@profilestream/contracts';
import type { Admin } from '@profilestream/kafka';
import { textPathLag } from './text-path-drain';

/** An admin that answers end and committed offsets from tables (one partition per topic). */
function fakeAdmin(ends: Record<string, number>, committed: Record<string, number>): Admin {
  return {
    fetchTopicOffsets: async (topic: string) => [
      { partition: 0, low: '0', high: String(ends[topic] ?? 0), offset: String(ends[topic] ?? 0) },
    ],
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) =>
      topics.map((topic) => ({
        topic,
        partitions: [{ partition: 0, offset: String(committed[groupId] ?? -1), metadata: null }],
      })),
  } as unknown as Admin;
}

describe('text path drain', () => {
  const t = topicCatalog('p.');

  it('lets the fuser stand one offset short (the commit marker) once the encoder has committed everything', async () => {
    const admin = fakeAdmin(
      { [t.reviews.name]: 10, [t.textsCleaned.name]: 12, [t.textsEmbedded.name]: 13 },
      { 'p.text-cleaner': 10, 'p.encoder': 12, 'p.profile-fuser': 12 },
    );
    expect(await textPathLag(admin, 'p.', t)).toEqual([0, 0, 0]);
  });

  it("counts the fuser's last offset as lag while the encoder still has work (its transaction may be open)", async () => {
    const admin = fakeAdmin(
      { [t.reviews.name]: 10, [t.textsCleaned.name]: 12, [t.textsEmbedded.name]: 13 },
      { 'p.text-cleaner': 10, 'p.encoder': 8, 'p.profile-fuser': 12 },
    );
    expect(await textPathLag(admin, 'p.', t)).toEqual([0, 4, 1]);
  });

  it('counts a stage that has committed nothing from the start', async () => {
    const admin = fakeAdmin({ [t.reviews.name]: 5 }, {});
    expect(await textPathLag(admin, 'p.', t)).toEqual([5, 0, 0]);
  });
});
