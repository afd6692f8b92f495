/**
 * Why a record could not be encoded or decoded. The reason doubles as a dead-letter reason and a
 * bounded metric label, so it is a closed set.
 */
export type SerdeFailure =
  | 'empty_payload'
  | 'unknown_framing'
  | 'unknown_schema'
  | 'truncated'
  | 'undecodable'
  | 'invalid_record'
  | 'registry_unavailable';

export class SerdeError extends Error {
  override readonly name = 'SerdeError';

  constructor(
    readonly reason: SerdeFailure,
    message: string,
    /** Retrying can succeed (for example the schema registry was briefly unreachable). */
    readonly retriable = false,
  ) {
    super(message);
  }
}

/** A record that is well-formed Avro but breaks a rule of the contract (missing id, rating out of range...). */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';

  constructor(
    readonly reason: string,
    readonly problems: readonly string[],
  ) {
    super(`${reason}: ${problems.join('; ')}`);
  }
}
