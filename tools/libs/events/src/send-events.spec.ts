import { ContractViolation } from '@profilestream/contracts';
import type { PlatformEvent } from '@profilestream/event-producer';
import { Pacer } from './pacing';
import { sendReplayLines, total } from './send-events';

/** Records what it is asked to send; refuses reviews of user "bad" as the contract would, and fails "down". */
class RecordingProducer {
  readonly sent: PlatformEvent[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async send(event: PlatformEvent): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    const userId = 'userId' in event.value ? event.value.userId : '';
    if (userId === 'bad') throw new ContractViolation('missing_id', ['itemId is empty']);
    if (userId === 'down') throw new Error('broker unreachable');
    this.sent.push(event);
  }
}

const asap = () => new Pacer({ kind: 'asap' }, Date.now());
const review = (user: string, seq: number) =>
  JSON.stringify({
    type: 'review',
    ts: 1_300_000_000 + seq,
    seq,
    user_id: user,
    item_id: 'i1',
    text: 'fine',
    rating: 5,
  });

describe('sendReplayLines', () => {
  it('ends every line as sent by kind or rejected by reason, skipping blank lines', async () => {
    const producer = new RecordingProducer();
    const lines = [
      review('u1', 1),
      '',
      '{not json',
      JSON.stringify({ type: 'click', ts: 1_300_000_000, user_id: 'u1', item_id: 'i1', action: 'purchase' }),
      JSON.stringify({ type: 'click', ts: 1_300_000_000, user_id: 'u1', item_id: 'i1', action: 'teleport' }),
      JSON.stringify({ type: 'gossip', ts: 1_300_000_000 }),
      review('bad', 2),
      review('down', 3),
    ];
    const tally = await sendReplayLines(producer, lines, { pacer: asap(), platform: 'test' });
    expect(tally.sent).toEqual({ review: 1, click: 1 });
    expect(tally.rejected).toEqual({
      invalid_json: 1,
      unknown_action: 1,
      unknown_type: 1,
      missing_id: 1,
      send_failed: 1,
    });
    expect(total(tally.sent) + total(tally.rejected)).toBe(lines.filter((l) => l.trim()).length);
    expect(producer.sent[0]).toMatchObject({
      kind: 'review',
      value: { eventId: 'review-1', userId: 'u1', platform: 'test', occurredAt: 1_300_000_001_000 },
    });
  });

  it('takes parsed lines as well, keeps at most `window` sends in flight, and stops when asked', async () => {
    const producer = new RecordingProducer();
    const parsed = Array.from({ length: 40 }, (_, i) => JSON.parse(review(`u${i}`, i)) as object);
    let seen = 0;
    const tally = await sendReplayLines(producer, parsed, {
      pacer: asap(),
      platform: 'test',
      window: 8,
      shouldStop: () => seen++ >= 30,
    });
    expect(total(tally.sent)).toBe(30);
    expect(producer.maxInFlight).toBeLessThanOrEqual(8);
    expect(producer.maxInFlight).toBeGreaterThan(1);
  });
});
