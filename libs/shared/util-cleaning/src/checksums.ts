/** Check-digit validators that separate real identifiers from look-alike digit strings. */

/**
 * Whether `number` passes the Luhn (mod 10) check used by payment cards.
 * Single spaces or dashes between digits are ignored; anything else, or fewer than 2 digits, fails.
 */
export function isLuhnValid(number: string): boolean {
  if (!/^\d(?:[ -]?\d)+$/.test(number)) return false;
  const digits = number.replace(/[ -]/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 7064 MOD 11-2 weights of the first 17 characters of a Chinese resident ID. */
const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character for each remainder 0–10. */
const CN_ID_CHECK = '10X98765432';

/** Earliest and latest plausible birth years; fixed (not "now") so that cleaning stays deterministic. */
const MIN_BIRTH_YEAR = 1900;
const MAX_BIRTH_YEAR = 2099;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= (monthDays[month - 1] ?? 0);
}

/**
 * Whether `id` is a valid 18-character mainland-China resident identity number: a region code not
 * starting with 0, a real birth date (YYYYMMDD, 1900–2099), a sequence number and the ISO 7064
 * MOD 11-2 check character (a digit or `X`/`x`).
 */
export function isValidChineseId(id: string): boolean {
  if (!/^[1-9]\d{16}[\dXx]$/.test(id)) return false;
  const year = Number(id.slice(6, 10));
  if (year < MIN_BIRTH_YEAR || year > MAX_BIRTH_YEAR) return false;
  if (!isCalendarDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)))) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * CN_ID_WEIGHTS[i]!;
  return CN_ID_CHECK[sum % 11] === id[17]!.toUpperCase();
}
