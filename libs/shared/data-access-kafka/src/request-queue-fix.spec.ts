import {
  installRequestQueueFix,
  kafkajsRequestQueue,
  kafkajsVersion,
  KAFKAJS_VERSION_FIXED,
} from './request-queue-fix';

/** The parts of kafkajs's RequestQueue these tests drive. */
interface Queue {
  throttleCheckTimeoutId: unknown;
  pending: unknown[];
  push(request: object): void;
  fulfillRequest(response: { correlationId: number; payload: null; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}

const ignore = (): void => undefined;
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };

function newQueue(maxInFlightRequests: number | null): Queue {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (options: object) => Queue;
  return new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'spec:9092',
    logger: quiet,
    isConnected: () => true,
  });
}

function request(correlationId: number, sent: number[]): object {
  return {
    entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 3, resolve: ignore, reject: ignore },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  };
}

describe('the kafkajs request queue fix', () => {
  const queues: Queue[] = [];
  const queue = (maxInFlightRequests: number | null) => {
    const q = newQueue(maxInFlightRequests);
    queues.push(q);
    return q;
  };

  beforeAll(() => expect(installRequestQueueFix()).toBe(true));
  afterEach(() => {
    queues.splice(0).forEach((q) => q.destroy());
    jest.useRealTimers();
  });

  it('is written for the installed kafkajs release (check the fix again when kafkajs is upgraded)', () => {
    expect(kafkajsVersion()).toBe(KAFKAJS_VERSION_FIXED);
  });

  it('arms no timer after a response when no request waits (the released method re-armed one at once, forever)', () => {
    const q = queue(1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(sent).toEqual([1]);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('sends a request held by the in-flight limit as soon as a response frees a slot, then rests', () => {
    jest.useFakeTimers();
    const q = queue(1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(1);
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(sent).toEqual([1, 2]);
    q.fulfillRequest({ correlationId: 2, payload: null, size: 0 });
    // The check armed while request 2 waited runs once more, finds nothing and arms nothing.
    jest.advanceTimersByTime(10);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("sends a request held by the broker's throttle when the throttle ends, then rests", () => {
    jest.useFakeTimers();
    const q = queue(null);
    const sent: number[] = [];
    q.maybeThrottle(50);
    q.push(request(1, sent));
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });
});
