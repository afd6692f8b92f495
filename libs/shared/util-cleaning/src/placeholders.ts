import type { RedactionType } from './cleaning-types';

/** The placeholder that replaces each kind of personal data. */
export const PLACEHOLDERS: Readonly<Record<RedactionType, string>> = Object.freeze({
  email: '[EMAIL]',
  phone: '[PHONE]',
  url: '[URL]',
  ip: '[IP]',
  card: '[CARD]',
  cn_id: '[CN_ID]',
  handle: '[HANDLE]',
});

/** Placeholder names as a regex alternation, e.g. `EMAIL|PHONE|…`. */
export const PLACEHOLDER_NAMES = Object.values(PLACEHOLDERS)
  .map((p) => p.slice(1, -1))
  .join('|');

/** A fresh global regex matching any placeholder (fresh because global regexes carry `lastIndex`). */
export function placeholderPattern(): RegExp {
  return new RegExp(`\\[(?:${PLACEHOLDER_NAMES})\\]`, 'g');
}

const EXACT_PLACEHOLDER = new RegExp(`^\\[(?:${PLACEHOLDER_NAMES})\\]$`);

/** Whether `token` is exactly one placeholder. */
export function isPlaceholder(token: string): boolean {
  return EXACT_PLACEHOLDER.test(token);
}

/** Text with every placeholder replaced by a space (for counting or detecting what is left). */
export function withoutPlaceholders(text: string): string {
  return text.replace(placeholderPattern(), ' ');
}
