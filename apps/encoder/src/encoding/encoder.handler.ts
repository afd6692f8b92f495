import {
  packFloat32,
  type CleanedText,
  type EmbeddedText,
  type TopicCatalog,
  type ValueSerde,
} from '@profilestream/contracts';
import { decodingTransform, dlq, drop, ok, type Outcome, type TransformHandler } from '@profilestream/kafka';
import type { EmbeddingSpace } from '@profilestream/embedding';
import { PoisonTextError, type EncodingEngine } from '@profilestream/inference';
import type { EmbeddingCache, CachedEmbedding } from './embedding-cache';
import type { EncoderMetrics } from './encoder.metrics';
import type { ErasureMarks } from './erasure-marks';
import type { ThroughputLimiter } from './throughput-limiter';

export interface EncoderDeps {
  topics: TopicCatalog;
  serdes: { cleaned: ValueSerde<'CleanedText'>; embedded: ValueSerde<'EmbeddedText'> };
  cache: EmbeddingCache;
  engine: EncodingEngine;
  /** The space the engine's vectors live in (the model, after the projection). */
  space: EmbeddingSpace;
  metrics: EncoderMetrics;
  /** Paces the texts to embed at ENCODER_MAX_TEXTS_PER_SECOND. */
  limiter?: ThroughputLimiter;
  /** Users who asked to be erased: their earlier texts are not embedded (dropped as erased_user). */
  erasures?: Pick<ErasureMarks, 'erases'>;
}

type Computed = (CachedEmbedding & { cacheHit: boolean; queuedMs: number; inferenceMs: number }) | { poison: string };

/**
 * Embeds a chunk of cleaned texts: each distinct content hash is looked up in the cache, the rest
 * are queued on the engine (which shares runs with other partitions' chunks), new embeddings are
 * cached, and one EmbeddedText per input is returned for the consumer to write (with the chunk's
 * dead letters and offsets, in one transaction). A text that fails alone is dead-lettered.
 */
export function encoderHandler(deps: EncoderDeps): TransformHandler {
  return decodingTransform(
    (bytes) => deps.serdes.cleaned.decode(bytes),
    async (records) => {
      const erased = (t: CleanedText) => deps.erasures?.erases(t.userId ?? null, t.occurredAt) ?? false;
      const texts = new Map<string, string>();
      for (const { value } of records) if (!erased(value)) texts.set(value.contentHash, value.text);
      const hashes = [...texts.keys()];
      const cached = await deps.cache.getMany(deps.space, hashes);

      const computed = new Map<string, Computed>();
      const misses: Promise<void>[] = [];
      const fresh: ({ hash: string } & CachedEmbedding)[] = [];
      for (const [i, hash] of hashes.entries()) {
        const hit = cached[i];
        if (hit) {
          deps.metrics.cacheHits.inc();
          computed.set(hash, { ...hit, cacheHit: true, queuedMs: 0, inferenceMs: 0 });
          continue;
        }
        deps.metrics.cacheMisses.inc();
        await deps.limiter?.acquire();
        misses.push(
          deps.engine.embed(hash, texts.get(hash)!).then(
            (e) => {
              computed.set(hash, {
                vector: e.vector,
                tokens: e.tokens,
                truncated: e.truncated,
                cacheHit: false,
                queuedMs: e.queuedMs,
                inferenceMs: e.inferenceMs,
              });
              fresh.push({ hash, vector: e.vector, tokens: e.tokens, truncated: e.truncated });
            },
            (err: unknown) => {
              if (!(err instanceof PoisonTextError)) throw err;
              computed.set(hash, { poison: err.message });
            },
          ),
        );
      }
      await Promise.all(misses);
      if (fresh.length > 0) await deps.cache.setMany(deps.space, fresh);

      const now = Date.now();
      const outcomes: Outcome[] = [];
      const out: { key: string | null; value: Buffer }[] = [];
      const embedded: { source: string; cacheHit: boolean; truncated: boolean }[] = [];
      for (const { value } of records) {
        if (erased(value)) {
          outcomes.push(drop('erased_user'));
          continue;
        }
        const c = computed.get(value.contentHash)!;
        if ('poison' in c) {
          deps.metrics.poison.inc();
          outcomes.push(dlq('poison_text', c.poison));
          continue;
        }
        out.push({
          key: value.userId ?? value.itemId,
          value: deps.serdes.embedded.encode(toEmbedded(value, c, deps, now)),
        });
        embedded.push({ source: value.source, cacheHit: c.cacheHit, truncated: c.truncated });
        outcomes.push(ok);
      }
      return {
        outcomes,
        records: [{ topic: deps.topics.textsEmbedded.name, messages: out }],
        onDurable: () => {
          for (const e of embedded) {
            deps.metrics.texts.inc({ source: e.source, cache: e.cacheHit ? 'hit' : 'miss' });
            if (e.truncated) deps.metrics.truncated.inc();
          }
        },
      };
    },
  );
}

function toEmbedded(
  t: CleanedText,
  c: Exclude<Computed, { poison: string }>,
  deps: EncoderDeps,
  now: number,
): EmbeddedText {
  return {
    eventId: t.eventId,
    source: t.source,
    userId: t.userId,
    itemId: t.itemId,
    lang: t.lang,
    contentHash: t.contentHash,
    rating: t.rating,
    tags: t.tags,
    categories: t.categories,
    platform: t.platform,
    occurredAt: t.occurredAt,
    ingestedAt: t.ingestedAt,
    modelId: deps.space.modelId,
    projectionId: deps.space.projectionId,
    dim: c.vector.length,
    vector: packFloat32(c.vector),
    tokenCount: c.tokens,
    truncated: c.truncated,
    timing: { cacheHit: c.cacheHit, queuedMs: c.queuedMs, inferenceMs: c.inferenceMs, embeddedAt: now },
  };
}
