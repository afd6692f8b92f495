import { SentimentTrainingError } from './errors';
import { seededRandom, shuffled } from '@profilestream/embedding';

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_SPLIT: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

export interface UserSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
  /** The users of each part (sorted); no user is in two parts. */
  users: { train: string[]; validation: string[]; test: string[] };
}

/**
 * Splits examples by user, so that no user's writing is in two parts: a classifier that has seen a
 * user's style in training would otherwise look better on the test part than on new users. The
 * distinct users are sorted, shuffled with `seed` and cut by `fractions` (of users, not examples);
 * the result depends only on the set of user ids and the seed, never on the input order, and every
 * part keeps its examples in input order.
 */
export function splitByUser<T>(
  examples: readonly T[],
  userOf: (e: T) => string,
  seed: number,
  fractions: SplitFractions = DEFAULT_SPLIT,
): UserSplit<T> {
  const parts = [fractions.train, fractions.validation, fractions.test];
  if (parts.some((f) => !(Number.isFinite(f) && f > 0)) || Math.abs(parts.reduce((s, f) => s + f, 0) - 1) > 1e-9) {
    throw new SentimentTrainingError(`split fractions must be positive and sum to 1, got ${JSON.stringify(fractions)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new SentimentTrainingError(`seed must be an integer, got ${seed}`);
  const users = [...new Set(examples.map(userOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const nTest = Math.round(users.length * fractions.test);
  const nValidation = Math.round(users.length * fractions.validation);
  const nTrain = users.length - nTest - nValidation;
  if (nTest < 1 || nValidation < 1 || nTrain < 1) {
    throw new SentimentTrainingError(
      `${users.length} users cannot be split into train, validation and test with fractions ${JSON.stringify(fractions)}`,
    );
  }
  const order = shuffled(users, seededRandom(seed));
  const part = new Map<string, 'train' | 'validation' | 'test'>();
  order.forEach((u, i) => part.set(u, i < nTrain ? 'train' : i < nTrain + nValidation ? 'validation' : 'test'));
  const out: UserSplit<T> = { train: [], validation: [], test: [], users: { train: [], validation: [], test: [] } };
  for (const e of examples) out[part.get(userOf(e))!].push(e);
  for (const u of users) out.users[part.get(u)!].push(u);
  return out;
}
