/**
 * Which vector space profiles.v1 carries: the one control record of `profile-fuser.serving.v1`
 * (compacted, key SERVING_KEY). Each profile-fuser deployment follows it: the deployment whose
 * space it names publishes on profiles.v1 and the changelog; the others publish on
 * profiles.shadow.v1. Before any record exists, the deployment without a KAFKA_GROUP_SUFFIX serves.
 * A migration first registers the served space (epoch 0); a cut-over writes the next epoch; a
 * rollback is a cut-over back.
 */
export const SERVING_KEY = 'serving';

export interface ServingSpace {
  /** The space published on profiles.v1: model id, plus `+projection id` when there is one. */
  space: string;
  /** Raised by every cut-over, from 1; 0 names the space served before any cut-over (a registration). */
  epoch: number;
  /** The space served before this record (what a rollback returns to); null for the first record. */
  previousSpace: string | null;
  /** When the cut-over was made (epoch ms). */
  changedAt: number;
}

/** A published version is the deployment's own counter lifted by the epoch: versions never go back across a cut-over. */
export const EPOCH_VERSION_STRIDE = 2 ** 32;

/** The version a profile is published with under `epoch`; per-user counters stay below 2^32. */
export function publishedVersion(version: number, epoch: number): number {
  return epoch * EPOCH_VERSION_STRIDE + version;
}

export function encodeServingSpace(s: ServingSpace): Buffer {
  return Buffer.from(JSON.stringify(validateServingSpace(s)));
}

/** Reads a control record; throws naming what is wrong. */
export function decodeServingSpace(bytes: Buffer): ServingSpace {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error('serving record is not JSON');
  }
  return validateServingSpace(value);
}

function validateServingSpace(v: unknown): ServingSpace {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o['space'] !== 'string' || o['space'].length === 0) problems.push('space must be a non-empty string');
  const epoch = o['epoch'];
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0 || epoch >= 2 ** 20)
    problems.push('epoch must be a whole number from 0 to 2^20 - 1');
  const previous = o['previousSpace'];
  if (previous !== null && typeof previous !== 'string') problems.push('previousSpace must be a string or null');
  if (typeof o['changedAt'] !== 'number' || !Number.isFinite(o['changedAt']))
    problems.push('changedAt must be epoch milliseconds');
  if (problems.length > 0) throw new Error(`invalid serving record: ${problems.join('; ')}`);
  return {
    space: o['space'] as string,
    epoch: epoch as number,
    previousSpace: (previous as string | null) ?? null,
    changedAt: o['changedAt'] as number,
  };
}
