/**
 * Payment card (PAN) detection: 13–19 digits, optionally grouped by single spaces or dashes,
 * that pass the Luhn check. A hand-written scan rather than a regex: a chain of digit groups can
 * hold several candidates, and the scan must stay linear on megabytes of digits.
 */

const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;

const ZERO = 48;
const SPACE = 32;
const DASH = 45;

function isDigitCode(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9;
}

/** Half-open [start, end) range of a digit group in the text. */
type Group = readonly [start: number, end: number];

/** Digit groups joined by single spaces or dashes, starting at `from` (a digit after a non-digit). */
function readChain(text: string, from: number): Group[] {
  const groups: Group[] = [];
  let i = from;
  for (;;) {
    const start = i;
    while (i < text.length && isDigitCode(text.charCodeAt(i))) i++;
    groups.push([start, i]);
    const sep = text.charCodeAt(i);
    if ((sep === SPACE || sep === DASH) && isDigitCode(text.charCodeAt(i + 1))) i++;
    else return groups;
  }
}

/**
 * Index of the last group of the longest Luhn-valid window of 13–19 digits starting at group
 * `first`, or `undefined`. Luhn sums are kept for both parities while digits are appended, since
 * which digits are doubled depends on where the window ends.
 */
function longestCardEnd(text: string, groups: readonly Group[], first: number): number | undefined {
  let best: number | undefined;
  let count = 0;
  let oddDoubled = 0; // sum if digits at odd positions (1-based, from the left) are doubled
  let evenDoubled = 0; // sum if digits at even positions are doubled
  for (let g = first; g < groups.length; g++) {
    const [start, end] = groups[g]!;
    if (count + (end - start) > MAX_CARD_DIGITS) break;
    for (let i = start; i < end; i++) {
      count++;
      const d = text.charCodeAt(i) - ZERO;
      const doubled = d * 2 > 9 ? d * 2 - 9 : d * 2;
      if (count % 2 === 1) {
        oddDoubled += doubled;
        evenDoubled += d;
      } else {
        oddDoubled += d;
        evenDoubled += doubled;
      }
    }
    // The rightmost digit is never doubled, so digits of the other parity than `count` are.
    const sum = count % 2 === 0 ? oddDoubled : evenDoubled;
    if (count >= MIN_CARD_DIGITS && sum % 10 === 0) best = g;
  }
  return best;
}

/**
 * Replaces card numbers with `redact()`'s placeholder. Windows are group-aligned, so a number is
 * never cut out of a longer digit run, and a card next to unrelated numbers (`qty 2 4111 1111 1111
 * 1111`) is still found: from each group, left to right, the longest valid window wins and the
 * scan resumes after it. Afterwards no Luhn-valid 13–19 digit window is left in the text.
 */
export function redactCardNumbers(text: string, redact: () => string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    if (!isDigitCode(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const groups = readChain(text, i);
    i = groups[groups.length - 1]![1];
    for (let g = 0; g < groups.length; g++) {
      const end = longestCardEnd(text, groups, g);
      if (end === undefined) continue;
      out += text.slice(copied, groups[g]![0]) + redact();
      copied = groups[end]![1];
      g = end;
    }
  }
  return out + text.slice(copied);
}
