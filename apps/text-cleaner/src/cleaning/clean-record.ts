import {
  validateItem,
  validatePost,
  validateReview,
  type CleanedText,
  type InputLimits,
  type Item,
  type Post,
  type Review,
  type TextSource,
} from '@profilestream/contracts';
import {
  cleanText,
  languageOfHint,
  normalizeUnicode,
  redactPersonalData,
  type CleaningOptions,
  type DropReason,
  type RedactionType,
} from '@profilestream/text-cleaning';
import type { DedupOwner } from './duplicate-filter';

export type SourceRecord =
  { source: 'review'; value: Review } | { source: 'post'; value: Post } | { source: 'item'; value: Item };

export type CleanDecision =
  | { kind: 'clean'; record: CleanedText; redactions: Partial<Record<RedactionType, number>> }
  | { kind: 'drop'; reason: DropReason }
  | { kind: 'dlq'; reason: string; detail: string };

export interface CleanRecordOptions {
  cleaning: Pick<CleaningOptions, 'maxChars' | 'minMeaningfulChars'>;
  limits: InputLimits;
}

/**
 * Decides what becomes of one input event: a CleanedText for the encoder, a counted drop, or a
 * dead letter when the event breaks the contract (missing ids, oversized text, future time).
 */
export function cleanSourceRecord(
  input: SourceRecord,
  ingestedAt: number,
  now: number,
  options: CleanRecordOptions,
): CleanDecision {
  const violations =
    input.source === 'review'
      ? validateReview(input.value, now, options.limits)
      : input.source === 'post'
        ? validatePost(input.value, now, options.limits)
        : validateItem(input.value, now, options.limits);
  if (violations.length > 0) {
    return { kind: 'dlq', reason: violations[0]!.reason, detail: violations.map((v) => v.detail).join('; ') };
  }

  const raw = rawText(input);
  const result = cleanText(raw, options.cleaning);
  if (result.dropped) return { kind: 'drop', reason: result.dropped };

  // Tags and categories are free text too: the same redaction as the text, counted with it.
  const redactions: Partial<Record<RedactionType, number>> = { ...result.redactions };
  const tags = input.source === 'post' ? redactLabels(input.value.tags, redactions) : [];
  const categories = input.source === 'item' ? redactLabels(input.value.categories, redactions) : [];
  const hint = input.source === 'review' ? input.value.lang : null;
  const base = {
    eventId: input.source === 'item' ? `item:${input.value.itemId}:${input.value.occurredAt}` : input.value.eventId,
    source: input.source satisfies TextSource,
    text: result.text,
    // The platform's hint only fills in when detection is unsure: it is often a UI locale, not the text's language.
    lang: result.lang === 'und' ? languageOfHint(hint) : result.lang,
    contentHash: result.contentHash,
    originalLength: raw.length,
    truncated: result.truncated,
    redactions: redactions as Record<string, number>,
    occurredAt: input.value.occurredAt,
    ingestedAt,
    cleanedAt: now,
  };
  const record: CleanedText =
    input.source === 'review'
      ? {
          ...base,
          userId: input.value.userId,
          itemId: input.value.itemId,
          rating: input.value.rating,
          tags: [],
          categories: [],
          platform: input.value.platform,
        }
      : input.source === 'post'
        ? {
            ...base,
            userId: input.value.userId,
            itemId: null,
            rating: null,
            tags,
            categories: [],
            platform: input.value.platform,
          }
        : { ...base, userId: null, itemId: input.value.itemId, rating: null, tags: [], categories, platform: null };
  return { kind: 'clean', record, redactions };
}

function redactLabels(labels: readonly string[], counts: Partial<Record<RedactionType, number>>): string[] {
  return labels.map((label) => {
    const r = redactPersonalData(normalizeUnicode(label));
    for (const [type, n] of Object.entries(r.counts) as [RedactionType, number][])
      counts[type] = (counts[type] ?? 0) + n;
    return r.text;
  });
}

/** Catalogue text is the title and description as one passage, sentence-separated. */
function rawText(input: SourceRecord): string {
  if (input.source !== 'item') return input.value.text;
  const title = input.value.title.trim();
  const description = input.value.description.trim();
  if (!title) return description;
  if (!description) return title;
  return /[.!?。！？:：]$/u.test(title) ? `${title} ${description}` : `${title}. ${description}`;
}

/** The author (or item) a duplicate is judged against: the same text by another user is no duplicate. */
export function dedupOwner(record: CleanedText): DedupOwner {
  return record.userId !== null ? { kind: 'user', id: record.userId } : { kind: 'item', id: record.itemId ?? '' };
}
