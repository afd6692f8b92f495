import { KAFKA_CONNECTION_ERROR, type LogSink } from '@profilestream/kafka';
import type { HealthRegistry } from '@profilestream/observability';

export interface ConsumerStartOptions {
  /** Names the health checks (`consumer:<name>` in readiness, `consumer-start:<name>` in liveness). */
  name: string;
  /** After this long without a start, liveness fails with the last cause (retries go on). */
  timeoutMs: number;
  health: HealthRegistry;
  log: LogSink;
  isStopping: () => boolean;
  /** First retry delay; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Starts a consumer until it starts, with back-off. A service that stays up must consume: on a
 * fresh broker, services that create their topics together meet topics without leaders yet, and
 * a broker may be unreachable for a while. Until the start succeeds, readiness is down and names
 * the last failure; once `timeoutMs` has passed, liveness is down too, with the cause, so the
 * orchestrator restarts the process instead of leaving it up and idle for ever.
 *
 * Resolves true once started, false when the service began stopping first.
 */
export async function startWithRetry(start: () => Promise<void>, o: ConsumerStartOptions): Promise<boolean> {
  const since = Date.now();
  let lastError: string | null = null;
  let attempt = 0;
  let started = false;
  o.health.addStartupCheck(`consumer:${o.name}`, async () => {
    if (started) return;
    throw new Error(lastError === null ? 'starting' : `not started after ${attempt} attempts: ${lastError}`);
  });
  o.health.addLivenessCheck(`consumer-start:${o.name}`, async () => {
    if (started || Date.now() - since < o.timeoutMs) return;
    throw new Error(`consumer did not start within ${o.timeoutMs} ms: ${lastError ?? 'still starting'}`);
  });
  const initial = o.initialDelayMs ?? 500;
  const max = o.maxDelayMs ?? 10_000;
  while (!o.isStopping()) {
    attempt++;
    try {
      await start();
      started = true;
      return true;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      const delayMs = Math.min(max, initial * 2 ** Math.min(attempt - 1, 16));
      // An error explained already (see explainKafkaError) is logged as its one line.
      const logged = err instanceof Error && err.name === KAFKA_CONNECTION_ERROR ? err.message : err;
      o.log.warn({ err: logged, consumer: o.name, attempt, retryInMs: delayMs }, 'consumer did not start; retrying');
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  return false;
}
