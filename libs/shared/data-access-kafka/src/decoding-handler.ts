import { SerdeError } from '@profilestream/contracts';
import { dlq, type BatchHandler, type ConsumedMessage, type Outcome } from './batch-consumer';

export interface DecodedMessage<T> {
  message: ConsumedMessage;
  value: T;
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
      if (message.value === null) {
        outcomes[i] = dlq('empty_payload', 'record has no value');
        continue;
      }
      try {
        decoded.push({ message, value: await decode(message.value) });
        positions.push(i);
      } catch (err) {
        if (err instanceof SerdeError && !err.retriable) outcomes[i] = dlq(err.reason, err.message);
        else throw err;
      }
    }
    if (decoded.length > 0) {
      const handled = await handle(decoded);
      if (handled.length !== decoded.length) throw new Error(`handler returned ${handled.length} outcomes for ${decoded.length} records`);
      handled.forEach((o, j) => (outcomes[positions[j]!] = o));
    }
    return outcomes as Outcome[];
  };
}
