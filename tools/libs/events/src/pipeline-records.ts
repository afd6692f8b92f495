/**
 * Records as the services write them onto the text topics, for feeding one stage without running
 * the stages before it.
 */
import { createHash } from 'node:crypto';
import { packFloat32, type CleanedText, type EmbeddedText } from '@profilestream/contracts';

/** A review as text-cleaner writes it onto texts.cleaned.v1: nothing truncated or redacted, no tags. */
export function cleanedReview(o: {
  eventId: string;
  text: string;
  userId: string;
  itemId: string;
  lang: string;
  rating: number | null;
  platform: string;
  occurredAt: number;
  ingestedAt: number;
  cleanedAt: number;
  /** What the encoder caches the embedding on; the text's SHA-256, as the cleaner writes it, by default. */
  contentHash?: string;
}): CleanedText {
  return {
    eventId: o.eventId,
    source: 'review',
    userId: o.userId,
    itemId: o.itemId,
    text: o.text,
    lang: o.lang,
    contentHash: o.contentHash ?? createHash('sha256').update(o.text).digest('hex'),
    originalLength: o.text.length,
    truncated: false,
    redactions: {},
    rating: o.rating,
    tags: [],
    categories: [],
    platform: o.platform,
    occurredAt: o.occurredAt,
    ingestedAt: o.ingestedAt,
    cleanedAt: o.cleanedAt,
  };
}

/** A catalogue item's description embedding, as the encoder writes it onto texts.embedded.v1. */
export function itemEmbedding(o: {
  itemId: string;
  vector: ArrayLike<number>;
  modelId: string;
  occurredAt: number;
  categories?: string[];
}): EmbeddedText {
  const now = Date.now();
  return {
    eventId: `item:${o.itemId}:${o.occurredAt}`,
    source: 'item',
    userId: null,
    itemId: o.itemId,
    lang: 'en',
    contentHash: `h-${o.itemId}`,
    rating: null,
    tags: [],
    categories: o.categories ?? [],
    platform: null,
    occurredAt: o.occurredAt,
    ingestedAt: now,
    modelId: o.modelId,
    projectionId: null,
    dim: o.vector.length,
    vector: packFloat32(o.vector),
    tokenCount: 8,
    truncated: false,
    timing: { cacheHit: false, queuedMs: 0, inferenceMs: 0, embeddedAt: now },
  };
}
