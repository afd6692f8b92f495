import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const { MemberMetadata, MemberAssignment } = AssignerProtocol;

/** What a member tells the group leader when it joins: the partitions it holds now. */
interface StickyUserData {
  partitions: number[];
}

/**
 * Partition assignment for co-partitioned topics (keyed alike, with equal partition counts): a
 * member gets partition p of every subscribed topic together, so everything about one key is
 * consumed by one member, which can then own that key's state. Sticky: members keep the partitions
 * they hold, up to their fair share, and only the rest move, so scaling out or in moves as little
 * state as it can.
 *
 * `currentPartitions` reports what this member holds now (sent with every join).
 */
export function coPartitionedAssigner(currentPartitions: () => readonly number[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'CoPartitionedStickyAssigner',
    version: 1,
    async assign({ members, topics }) {
      const counts = topics.map((topic) => cluster.findTopicPartitionMetadata(topic).length);
      const partitionCount = Math.min(...counts);
      if (counts.some((c) => c !== partitionCount)) {
        // Unequal counts break co-partitioning; the service checks at start, this only guards.
        throw new Error(
          `co-partitioned topics must have equal partition counts: ${topics.map((t, i) => `${t}=${counts[i]}`).join(', ')}`,
        );
      }
      const previous = new Map(members.map((m) => [m.memberId, readUserData(m.memberMetadata)]));
      const assignment = assignSticky(
        members.map((m) => m.memberId),
        partitionCount,
        previous,
      );
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: MemberAssignment.encode({
          version: 1,
          assignment: Object.fromEntries(topics.map((t) => [t, assignment.get(memberId) ?? []])),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      const userData: StickyUserData = { partitions: [...currentPartitions()] };
      return {
        name: 'CoPartitionedStickyAssigner',
        metadata: MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(userData)) }),
      };
    },
  });
}

function readUserData(metadata: Buffer): number[] {
  try {
    const { userData } = MemberMetadata.decode(metadata) as { userData?: Buffer };
    if (!userData || userData.length === 0) return [];
    const parsed = JSON.parse(userData.toString()) as Partial<StickyUserData>;
    return Array.isArray(parsed.partitions) ? parsed.partitions.filter((p) => Number.isSafeInteger(p) && p >= 0) : [];
  } catch {
    return [];
  }
}

/**
 * Balanced sticky assignment of partitions 0..count-1 to members: each member gets ⌊count/n⌋ or
 * ⌈count/n⌉ partitions; a member keeps what it held (within its share) when no other member also
 * claims it; the rest go to the members with the fewest, in member id order. Pure and
 * deterministic, so every leader computes the same answer.
 */
export function assignSticky(
  memberIds: readonly string[],
  count: number,
  previous: ReadonlyMap<string, readonly number[]>,
): Map<string, number[]> {
  const members = [...memberIds].sort();
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  if (members.length === 0) return out;
  const base = Math.floor(count / members.length);
  const extra = count % members.length;
  // The first `extra` members (by how much they keep, then id) may hold one more than `base`.
  const claims = new Map<number, string[]>();
  for (const m of members)
    for (const p of previous.get(m) ?? []) if (p < count) claims.set(p, [...(claims.get(p) ?? []), m]);
  const kept = new Map<string, number[]>(
    members.map((m) => [
      m,
      [...(previous.get(m) ?? [])].filter((p) => p < count && claims.get(p)!.length === 1).sort((a, b) => a - b),
    ]),
  );
  const byKept = [...members].sort((a, b) => kept.get(b)!.length - kept.get(a)!.length || (a < b ? -1 : 1));
  const quota = new Map(byKept.map((m, i) => [m, base + (i < extra ? 1 : 0)]));
  const taken = new Set<number>();
  for (const m of members) {
    for (const p of kept.get(m)!.slice(0, quota.get(m))) {
      out.get(m)!.push(p);
      taken.add(p);
    }
  }
  for (let p = 0; p < count; p++) {
    if (taken.has(p)) continue;
    const m = members
      .filter((x) => out.get(x)!.length < quota.get(x)!)
      .sort((a, b) => out.get(a)!.length - out.get(b)!.length || (a < b ? -1 : 1))[0]!;
    out.get(m)!.push(p);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}
