/**
 * An event the fuser cannot apply (wrong vector dimension, non-finite values, bad position...).
 * Applying it again can never succeed, so the service dead-letters it; `reason` is the dead-letter
 * reason.
 */
export class FusionInputError extends Error {
  override readonly name = 'FusionInputError';
  constructor(
    readonly reason: 'dimension_mismatch' | 'invalid_event',
    message: string,
  ) {
    super(message);
  }
}

/** Stored state bytes that cannot be decoded (unknown version, truncated, inconsistent). */
export class StateCodecError extends Error {
  override readonly name = 'StateCodecError';
}
