import { ClickActionValues, type ClickAction } from '@profilestream/contracts';
import type { PlatformEvent } from './event-producer';

/**
 * One line of a replay file (JSON lines, optionally gzipped), as platforms export events:
 * `type` is review | post | click | item | user | deletion; `ts` is unix seconds (or `occurred_at` in
 * epoch ms). The review dataset's own fields (`user_id`, `item_id`, `rating`, `text`, `seq`)
 * are this shape.
 */
export interface ReplayLine {
  type?: string;
  ts?: number;
  occurred_at?: number;
  seq?: number;
  event_id?: string;
  user_id?: string;
  item_id?: string;
  text?: string | null;
  rating?: number | null;
  tags?: string[];
  action?: string;
  dwell_ms?: number | null;
  title?: string;
  description?: string;
  categories?: string[];
  platform?: string;
  /** user lines: the attributes, named as in users.v1 (snake_case accepted for the standard ones). */
  age_band?: string | null;
  gender?: string | null;
  country?: string | null;
  region?: string | null;
  locale?: string | null;
  languages?: string[] | null;
  signup_at?: number | null;
  account_type?: string | null;
  custom?: Record<string, string | number | boolean | null>;
  cleared?: string[];
}

export type ReplayEvent = PlatformEvent;

/** Maps a replay line onto the typed event it stands for, or says why it cannot be sent. */
export function mapReplayLine(line: ReplayLine, index: number, platform = 'replay'): ReplayEvent | { error: string } {
  const occurredAt =
    typeof line.occurred_at === 'number'
      ? line.occurred_at
      : typeof line.ts === 'number'
        ? Math.round(line.ts * 1000)
        : null;
  if (occurredAt === null) return { error: 'missing_time' };
  const eventId = line.event_id ?? `${line.type ?? 'event'}-${line.seq ?? index}`;
  const userId = line.user_id ?? '';
  const src = line.platform ?? platform;
  switch (line.type ?? 'review') {
    case 'review':
      return {
        kind: 'review',
        value: {
          eventId,
          userId,
          itemId: line.item_id ?? '',
          text: line.text ?? '',
          rating: line.rating ?? null,
          platform: src,
          occurredAt,
        },
      };
    case 'post':
      return {
        kind: 'post',
        value: { eventId, userId, text: line.text ?? '', tags: line.tags ?? [], platform: src, occurredAt },
      };
    case 'click': {
      const action = (line.action ?? 'click') as ClickAction;
      if (!ClickActionValues.includes(action)) return { error: 'unknown_action' };
      return {
        kind: 'click',
        value: {
          eventId,
          userId,
          itemId: line.item_id ?? '',
          action,
          dwellMs: line.dwell_ms ?? null,
          platform: src,
          occurredAt,
        },
      };
    }
    case 'item':
      return {
        kind: 'item',
        value: {
          itemId: line.item_id ?? '',
          title: line.title ?? '',
          description: line.description ?? line.text ?? '',
          categories: line.categories ?? [],
          occurredAt,
        },
      };
    case 'user':
      return {
        kind: 'user',
        value: {
          userId,
          occurredAt,
          ageBand: line.age_band ?? null,
          gender: line.gender ?? null,
          country: line.country ?? null,
          region: line.region ?? null,
          locale: line.locale ?? null,
          languages: line.languages ?? null,
          signupAt: line.signup_at ?? null,
          accountType: line.account_type ?? null,
          custom: line.custom ?? {},
          cleared: line.cleared ?? [],
        },
      };
    case 'deletion':
      return { kind: 'deletion', value: { userId, requestedAt: occurredAt } };
    default:
      return { error: 'unknown_type' };
  }
}
