/**
 * A recommender's side of the ranker, in TypeScript: follow profiles.v1 (the newest profile of each
 * user; a tombstone erases one) and order the candidates retrieval found with the artefact
 * `npm run ranker:train` wrote. Type-checked with the project; run your own copy of it.
 */
import { readFileSync } from 'node:fs';
import { Kafka } from 'kafkajs';
import { SingleObjectSerde, type UserProfile } from '@profilestream/contracts';
import { parseRanker, scoreCandidates, type RankCandidate } from '@profilestream/ranking';

const rankerFile = process.env['RANKER_FILE'] ?? 'ranker.json';
const ranker = parseRanker(JSON.parse(readFileSync(rankerFile, 'utf8')), rankerFile);
const serde = new SingleObjectSerde('UserProfile');
const profiles = new Map<string, UserProfile>();

/** Reads profiles.v1 from its beginning (a compacted topic: one record per user) and keeps up. */
export async function followProfiles(brokers: string[], instanceId: string): Promise<void> {
  // A group of one per instance and run, never committed: every start reads every user's profile again.
  const consumer = new Kafka({ brokers, clientId: 'recommender' }).consumer({
    groupId: `recommender-profiles-${instanceId}-${Date.now()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: 'profiles.v1', fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const userId = message.key!.toString();
      if (!message.value) {
        profiles.delete(userId); // the user was erased
        return;
      }
      const profile = serde.decodeSync(message.value);
      // Profiles of another model or projection (during a model change) cannot be scored by this ranker.
      if (profile.modelId === ranker.space.modelId && profile.projectionId === ranker.space.projectionId)
        profiles.set(userId, profile);
      else profiles.delete(userId);
    },
  });
}

/** Optionally with `segmentInteractions`: the item's interactions by users of the user's segment (e.g. country). */
export interface Candidate extends RankCandidate {
  itemId: string;
}

/** The candidates, best first; a user without a profile is ranked on behaviour alone. */
export function rank(userId: string, candidates: readonly Candidate[]): { itemId: string; score: number }[] {
  const scores = scoreCandidates(ranker, profiles.get(userId) ?? null, candidates);
  return candidates.map((c, i) => ({ itemId: c.itemId, score: scores[i]! })).sort((a, b) => b.score - a.score);
}
