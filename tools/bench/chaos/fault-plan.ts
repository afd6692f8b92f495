/**
 * When run B's faults happen: a seeded plan that interleaves slices of the input with faults. Each
 * fault follows a slice of random size and a random pause, so it lands while that slice (and what
 * is still queued behind it) is flowing through the stages, at a random point of its processing.
 * The feed never has a send in flight while a fault happens: a send that is cut off by the broker
 * restart and retried could write an input record twice, and the comparison would then blame the
 * pipeline for the harness's duplicate.
 */
import { seededRandom, shuffled } from '@profilestream/embedding';

export const SERVICE_NAMES = ['text-cleaner', 'encoder', 'profile-fuser'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export type Fault = { kind: 'kill'; service: ServiceName } | { kind: 'redis-restart' } | { kind: 'broker-restart' };

export interface FaultStep {
  /** Input events sent (and acknowledged) just before this step's pause. */
  send: number;
  /** Pause between the slice's acknowledgement and the fault. */
  pauseMs: number;
  fault: Fault;
}

export interface FaultPlan {
  steps: FaultStep[];
  /** Events sent after the last fault. */
  tail: number;
}

export interface FaultPlanOptions {
  events: number;
  kills: number;
  redisRestarts: number;
  brokerRestarts: number;
  seed: number;
  /** Longest pause before a fault. */
  maxPauseMs?: number;
}

/** Deterministic for given options; the slices always add up to `events`. */
export function planFaults(options: FaultPlanOptions): FaultPlan {
  // Its own stream: the same seed gives the same input whatever the number of faults.
  const random = seededRandom((options.seed ^ 0xfa17) >>> 0);
  const maxPause = options.maxPauseMs ?? 3000;
  const faults: Fault[] = [
    ...Array.from({ length: options.kills }, (): Fault => ({
      kind: 'kill',
      service: SERVICE_NAMES[Math.floor(random() * SERVICE_NAMES.length)]!,
    })),
    ...Array.from({ length: options.redisRestarts }, (): Fault => ({ kind: 'redis-restart' })),
    ...Array.from({ length: options.brokerRestarts }, (): Fault => ({ kind: 'broker-restart' })),
  ];
  const order = shuffled(faults, random);
  // Cut points spread uniformly over the input; a fault before the first event would test nothing.
  const cuts = order.map(() => 1 + Math.floor(random() * Math.max(1, options.events - 1))).sort((a, b) => a - b);
  let sent = 0;
  const steps = order.map((fault, i) => {
    const send = Math.min(options.events, cuts[i]!) - sent;
    sent += send;
    return { send, pauseMs: Math.round(random() * maxPause), fault };
  });
  return { steps, tail: options.events - sent };
}

/** "encoder ×7, profile-fuser ×5, …" for the report. */
export function describeFaults(faults: readonly Fault[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of faults) {
    const name = f.kind === 'kill' ? `kill ${f.service}` : f.kind;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}
