import type { Item } from '@profilestream/contracts';
import { sampleReview } from '@profilestream/contracts/testing';
import { languageOfHint } from '@profilestream/text-cleaning';
import { cleanSourceRecord, dedupOwner } from './clean-record';

const now = 1_700_000_000_000;
const options = {
  cleaning: { maxChars: 2000, minMeaningfulChars: 2 },
  limits: { maxTextChars: 1000, maxFutureSkewMs: 60_000 },
};
// The ids and rating the expectations name (r1, u1, i1; 5) are the sample's.
const review = sampleReview({ text: 'Works great, call +1 (555) 123-4567', occurredAt: now - 1 });

describe('cleanSourceRecord', () => {
  it('turns a review into a cleaned text with its ids, rating and redaction counts', () => {
    const d = cleanSourceRecord({ source: 'review', value: review }, now - 5, now, options);
    expect(d.kind).toBe('clean');
    if (d.kind !== 'clean') return;
    expect(d.record).toMatchObject({
      eventId: 'r1',
      source: 'review',
      userId: 'u1',
      itemId: 'i1',
      rating: 5,
      ingestedAt: now - 5,
      cleanedAt: now,
      originalLength: review.text.length,
    });
    expect(d.record.text).toBe('Works great, call [PHONE]');
    expect(d.redactions).toEqual({ phone: 1 });
    expect(d.record.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('joins an item title and description into one passage and keys it by item', () => {
    const item: Item = {
      itemId: 'g1',
      title: 'Nylon strings',
      description: 'Warm tone.',
      categories: ['strings'],
      occurredAt: now - 1,
    };
    const d = cleanSourceRecord({ source: 'item', value: item }, now, now, options);
    expect(d.kind === 'clean' && d.record).toMatchObject({
      eventId: `item:g1:${now - 1}`,
      userId: null,
      itemId: 'g1',
      text: 'Nylon strings. Warm tone.',
      categories: ['strings'],
    });
    if (d.kind === 'clean') expect(dedupOwner(d.record)).toEqual({ kind: 'item', id: 'g1' });
  });

  it("redacts personal data in post tags and item categories, counted with the text's", () => {
    const post = cleanSourceRecord(
      {
        source: 'post',
        value: {
          eventId: 'p1',
          userId: 'u1',
          text: 'New strings on the old guitar',
          tags: ['music', 'mail ann@example.com', '+1 (555) 123-4567'],
          platform: 'forum',
          occurredAt: now,
        },
      },
      now,
      now,
      options,
    );
    expect(post.kind === 'clean' && post.record.tags).toEqual(['music', 'mail [EMAIL]', '[PHONE]']);
    expect(post.kind === 'clean' && post.redactions).toEqual({ email: 1, phone: 1 });
    const item: Item = {
      itemId: 'g2',
      title: 'Strings',
      description: 'Bright tone.',
      categories: ['strings', 'seller: bob@example.com'],
      occurredAt: now - 1,
    };
    const d = cleanSourceRecord({ source: 'item', value: item }, now, now, options);
    expect(d.kind === 'clean' && d.record.categories).toEqual(['strings', 'seller: [EMAIL]']);
    expect(d.kind === 'clean' && d.record.redactions).toEqual({ email: 1 });
  });

  it('uses the platform language hint only when detection is unsure', () => {
    const d = cleanSourceRecord(
      { source: 'review', value: { ...review, text: 'ok ok', lang: 'DE' } },
      now,
      now,
      options,
    );
    expect(d.kind === 'clean' && d.record.lang).toBe('de');
  });

  it('takes only the primary subtag of a language hint, and only a language the detector knows', () => {
    expect(languageOfHint('pt-BR')).toBe('pt');
    expect(languageOfHint('zh_Hant')).toBe('zh');
    expect(languageOfHint(' DE ')).toBe('de');
    for (const bad of ['x-injected-7', 'english', 'zz', 'fil', '12', '', '<script>', null])
      expect(languageOfHint(bad)).toBe('und');
    const d = cleanSourceRecord(
      { source: 'review', value: { ...review, text: 'ok ok', lang: 'inject-0042' } },
      now,
      now,
      options,
    );
    expect(d.kind === 'clean' && d.record.lang).toBe('und');
  });

  it.each([
    [{ text: 'x'.repeat(1001) }, 'text_too_large'],
    [{ itemId: ' ' }, 'missing_id'],
    [{ occurredAt: now + 3_600_000 }, 'future_timestamp'],
  ])('dead-letters %j as %s', (patch, reason) => {
    expect(cleanSourceRecord({ source: 'review', value: { ...review, ...patch } }, now, now, options)).toMatchObject({
      kind: 'dlq',
      reason,
    });
  });

  it('drops texts with nothing left to encode', () => {
    expect(
      cleanSourceRecord(
        {
          source: 'post',
          value: { eventId: 'p', userId: 'u', text: '<p> </p>', tags: [], platform: 'f', occurredAt: now },
        },
        now,
        now,
        options,
      ),
    ).toEqual({ kind: 'drop', reason: 'empty' });
  });
});
