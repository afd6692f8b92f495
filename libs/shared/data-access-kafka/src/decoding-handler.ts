import { SerdeError } from '@profilestream/contracts';
import {
  dlq,
  type BatchHandler,
  type ChunkResult,
  type ConsumedMessage,
  type Outcome,
  type TransformHandler,
} from './batch-consumer';

export interface DecodedMessage<T> {
  message: ConsumedMessage;
  value: T;
}

/**
 * Decodes one message, or says which dead-letter outcome it gets: no value (`empty_payload`) or
 * the serde's reason. A retriable failure (the schema registry is unreachable) is thrown, so the
 * chunk is redelivered.
 */
export async function decodeMessage<T>(
  message: ConsumedMessage,
  decode: (bytes: Buffer) => Promise<T>,
): Promise<{ value: T } | { outcome: Outcome }> {
  if (message.value === null) return { outcome: dlq('empty_payload', 'record has no value') };
  try {
    return { value: await decode(message.value) };
  } catch (err) {
    if (err instanceof SerdeError && !err.retriable) return { outcome: dlq(err.reason, err.message) };
    throw err;
  }
}

/**
 * Wraps a handler of decoded records: undecodable messages become `dlq` outcomes with the serde's
 * reason, the rest go to `handle`, and outcomes are merged back in offset order. A retriable
 * failure (the schema registry is unreachable) is thrown, so the chunk is redelivered.
 */
export function decodingHandler<T>(
  decode: (bytes: Buffer) => Promise<T>,
  handle: (records: DecodedMessage<T>[]) => Promise<Outcome[]>,
): BatchHandler {
  const transform = decodingTransform(decode, async (records) => ({ outcomes: await handle(records), records: [] }));
  return async (messages) => (await transform(messages)).outcomes;
}

/** decodingHandler for a transforming handler: the records `handle` returns pass through. */
export function decodingTransform<T>(
  decode: (bytes: Buffer) => Promise<T>,
  handle: (records: DecodedMessage<T>[]) => Promise<ChunkResult>,
): TransformHandler {
  return async (messages) => {
    const outcomes: (Outcome | undefined)[] = new Array(messages.length);
    const decoded: DecodedMessage<T>[] = [];
    const positions: number[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const result = await decodeMessage(message, decode);
      if ('outcome' in result) {
        outcomes[i] = result.outcome;
        continue;
      }
      decoded.push({ message, value: result.value });
      positions.push(i);
    }
    if (decoded.length === 0) return { outcomes: outcomes as Outcome[], records: [] };
    const handled = await handle(decoded);
    if (handled.outcomes.length !== decoded.length)
      throw new Error(`handler returned ${handled.outcomes.length} outcomes for ${decoded.length} records`);
    handled.outcomes.forEach((o, j) => (outcomes[positions[j]!] = o));
    return { ...handled, outcomes: outcomes as Outcome[] };
  };
}
