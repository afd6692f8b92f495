import { SerdeError } from '@profilestream/contracts';
import { dlq, type BatchHandler, type ConsumedMessage, type Outcome } from './batch-consumer';

export interface DecodedMessage<T> {
  message: ConsumedMessage;
  value: T;
}

/**
 * Decodes one message, or says which dead-letter outcome it gets: no value (`empty_payload`) or
 * the serde's reason. A retriable failure (the schema registry is unreachable) is thrown, so the
 * chunk is redelivered.
 */
export async function decodeMessage<T>(message: ConsumedMessage, decode: (bytes: Buffer) => Promise<T>): Promise<{ value: T } | { outcome: Outcome }> {
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
    if (decoded.length > 0) {
      const handled = await handle(decoded);
      if (handled.length !== decoded.length) throw new Error(`handler returned ${handled.length} outcomes for ${decoded.length} records`);
      handled.forEach((o, j) => (outcomes[positions[j]!] = o));
    }
    return outcomes as Outcome[];
  };
}
