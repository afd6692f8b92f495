/**
 * MovieLens (GroupLens) in the `events.jsonl.gz` form, from the atomic files RecBole ships
 * (`ml-100k.inter` / `ml-1m.inter`: user, item, rating, timestamp; `.item`: item, title, year,
 * genres; tab separated, with a `name:type` header). A behaviour-only dataset with a catalogue: no review
 * text, so profiles must come from item descriptions and what users do.
 */
import type { DatasetEvent } from '@profilestream/tools-events';

/** How a star rating becomes a click action: a rating is an explicit act, weighed by how much it was liked. */
export function actionOfRating(rating: number): 'like' | 'click' | 'view' {
  if (rating >= 4) return 'like';
  if (rating >= 3) return 'click';
  return 'view';
}

export interface MovieLensEvent extends DatasetEvent {
  /** Click action (clicks only). */
  action?: string;
  /** Catalogue lines: the movie's title and year, and its genres. */
  title?: string;
  description?: string;
  categories?: string[];
}

interface Table {
  columns: string[];
  rows: string[][];
}

/** A RecBole atomic file: the header names `field:type` columns; lines may end in CRLF. */
export function parseAtomic(text: string, what: string): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines.shift();
  if (!header) throw new Error(`${what}: empty file`);
  const columns = header.split('\t').map((c) => c.split(':')[0]!);
  return { columns, rows: lines.map((l) => l.split('\t')) };
}

function column(table: Table, name: string, what: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new Error(`${what}: no column ${name} (columns: ${table.columns.join(', ')})`);
  return i;
}

/**
 * Converts the two files into one time-sorted event stream: the catalogue first (each movie's
 * title and year as its title, its genres as its description and categories, listed one second before the first rating, as a
 * catalogue exists before the log starts), then every rating as a click on the movie at its time.
 * Ids get a prefix (`u`, `m`) so they read as strings, not numbers; a rating of a movie the item
 * file lacks keeps its own id (`m-…`) and has no catalogue entry. A movie without a title has
 * nothing to describe it: left out of the catalogue, and counted.
 */
export function convertMovieLens(inter: string, item: string): { events: MovieLensEvent[]; untitledItems: number } {
  const items = parseAtomic(item, 'item file');
  const ratings = parseAtomic(inter, 'interaction file');
  const [iId, iTitle, iYear] = ['item_id', 'movie_title', 'release_year'].map((c) => column(items, c, 'item file')) as [
    number,
    number,
    number,
  ];
  // ML-100K names the genres column `class`, ML-1M `genre`.
  const iGenres = column(items, items.columns.includes('genre') ? 'genre' : 'class', 'item file');
  // ML-1M's item ids are the titles themselves: numbered in file order instead, so ids stay short.
  const itemIds = new Map(items.rows.map((r, i) => [r[iId]!, /^\d+$/.test(r[iId]!) ? `m${r[iId]}` : `m${i + 1}`]));
  const itemIdOf = (raw: string) => itemIds.get(raw) ?? `m-${raw}`;
  const [rUser, rItem, rRating, rTime] = ['user_id', 'item_id', 'rating', 'timestamp'].map((c) =>
    column(ratings, c, 'interaction file'),
  ) as [number, number, number, number];

  const clicks = ratings.rows.map((r, line) => {
    const ts = Number(r[rTime]);
    const rating = Number(r[rRating]);
    if (!Number.isFinite(ts) || !Number.isFinite(rating))
      throw new Error(`interaction file line ${line + 2}: bad rating or timestamp`);
    return { ts, line, user: r[rUser]!, item: r[rItem]!, rating };
  });
  clicks.sort((a, b) => a.ts - b.ts || a.line - b.line);
  const start = clicks.length > 0 ? clicks[0]!.ts - 1 : 0;

  const out: MovieLensEvent[] = [];
  let seq = 0;
  let untitledItems = 0;
  for (const r of items.rows) {
    const title = (r[iTitle] ?? '').trim();
    if (!title) {
      untitledItems++;
      continue;
    }
    // ML-1M writes years as floats ("1995.0"): whole years read better.
    const rawYear = (r[iYear] ?? '').trim();
    const year = /^\d+(\.0+)?$/.test(rawYear) ? String(Math.round(Number(rawYear))) : rawYear;
    const genres = (r[iGenres] ?? '').trim().split(/\s+/).filter(Boolean);
    out.push({
      ts: start,
      seq: seq++,
      user_id: '',
      item_id: itemIdOf(r[iId]!),
      type: 'item',
      rating: null,
      text: '',
      title: year ? `${title} (${year})` : title,
      description: genres.length > 0 ? `A film. Genres: ${genres.join(', ')}.` : 'A film.',
      categories: genres.map((g) => g.toLowerCase()),
    });
  }
  for (const c of clicks)
    out.push({
      ts: c.ts,
      seq: seq++,
      // ML-1M prefixes its user ids with the release (`1m_42`).
      user_id: `u${c.user.replace(/^[0-9a-z]+_/, '')}`,
      item_id: itemIdOf(c.item),
      type: 'click',
      rating: c.rating,
      text: '',
      action: actionOfRating(c.rating),
    });
  return { events: out, untitledItems };
}
