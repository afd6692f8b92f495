/**
 * The one loop that turns replay lines into sent events, for the replay command, the demo, the
 * evaluation and the pipeline benchmark: each line is mapped onto its typed event, paced, and sent
 * through the typed producer, with a bounded number of sends in flight. Every line ends as sent
 * (by kind) or rejected (by reason); nothing is dropped silently.
 */
import { ContractViolation, SerdeError } from '@profilestream/contracts';
import { mapReplayLine, type PlatformEvent, type ReplayLine } from '@profilestream/event-producer';
import type { Pacer } from './pacing';

export interface ReplayTally {
  sent: Record<string, number>;
  rejected: Record<string, number>;
}

export interface SendOptions {
  pacer: Pacer;
  /** Platform named on events whose line names none. */
  platform: string;
  /** Most sends awaiting acknowledgement at once. */
  window?: number;
  /** Checked before each line: true ends the replay early (Ctrl-C, a duration). */
  shouldStop?: () => boolean;
  /** Counted into as it goes, so progress can be read while the replay runs. */
  tally?: ReplayTally;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Sends one event and counts it into `tally`: sent by kind, or rejected by the reason it was refused. */
export function sendCounted(
  producer: { send(event: PlatformEvent): Promise<void> },
  event: PlatformEvent,
  tally: ReplayTally,
): Promise<void> {
  return producer.send(event).then(
    () => count(tally.sent, event.kind),
    (err: unknown) =>
      count(tally.rejected, err instanceof ContractViolation || err instanceof SerdeError ? err.reason : 'send_failed'),
  );
}

/** Lines as JSON text (blank ones skipped; unparseable ones rejected as invalid_json) or already parsed. */
export async function sendReplayLines(
  producer: { send(event: PlatformEvent): Promise<void> },
  lines: Iterable<string | ReplayLine> | AsyncIterable<string | ReplayLine>,
  options: SendOptions,
): Promise<ReplayTally> {
  const tally = options.tally ?? { sent: {}, rejected: {} };
  let inFlight: Promise<void>[] = [];
  let index = 0;
  for await (const raw of lines) {
    if (options.shouldStop?.()) break;
    let line: ReplayLine;
    if (typeof raw === 'string') {
      if (!raw.trim()) continue;
      try {
        line = JSON.parse(raw) as ReplayLine;
      } catch {
        index++;
        count(tally.rejected, 'invalid_json');
        continue;
      }
    } else line = raw;
    const mapped = mapReplayLine(line, index++, options.platform);
    if ('error' in mapped) {
      count(tally.rejected, mapped.error);
      continue;
    }
    await options.pacer.wait(mapped.kind === 'deletion' ? mapped.value.requestedAt : mapped.value.occurredAt);
    inFlight.push(sendCounted(producer, mapped, tally));
    if (inFlight.length >= (options.window ?? 500)) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return tally;
}
