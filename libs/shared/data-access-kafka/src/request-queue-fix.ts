/**
 * kafkajs 2.2.4 keeps every broker connection's process awake about once a millisecond, for as
 * long as the connection is open: after a response its request queue checks for requests waiting
 * (throttled by the broker, or over the in-flight limit) and then re-arms a timer whether any wait
 * or not, with a negative delay, so the check runs again at once, forever (kafkajs issues #1556 and
 * #1704; the upstream fix, pull request #1667, is not released). Each service holds several
 * connections, so on a shared machine that timer loop takes CPU from the encoder's workers.
 *
 * installRequestQueueFix replaces that one method with the fixed one: a check is scheduled only
 * while requests wait, at the end of the broker's throttle or after 10 ms (kafkajs's own interval),
 * and a response still sends waiting requests at once (fulfillRequest checks the queue itself).
 * The method is looked up on the prototype at each call, so connections already open are fixed too.
 */
import { createRequire } from 'node:module';

/** The kafkajs release whose request queue this replaces a method of (see the spec). */
export const KAFKAJS_VERSION_FIXED = '2.2.4';

/** kafkajs's wait between checks of throttled requests. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const kafkajsRequire = createRequire(require.resolve('kafkajs'));
let installed = false;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** The request queue class of the installed kafkajs (internal: for the fix and its tests). */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  return kafkajsRequire('./src/network/requestQueue') as { prototype: RequestQueueInternals };
}

/** The installed kafkajs's version. */
export function kafkajsVersion(): string {
  return (kafkajsRequire('./package.json') as { version: string }).version;
}

/**
 * Installs the fixed method once per process; createKafka calls it. Only on the release it was
 * written for: another release keeps its own (the spec fails on an upgrade, so the fix is checked
 * again then). Returns whether the fix is in place.
 */
export function installRequestQueueFix(): boolean {
  if (installed) return true;
  if (kafkajsVersion() !== KAFKAJS_VERSION_FIXED) return false;
  kafkajsRequestQueue().prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  installed = true;
  return true;
}
