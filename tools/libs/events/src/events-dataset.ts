/**
 * Reads a replay dataset in the `events.jsonl.gz` form: one JSON object a line with `ts` (unix
 * seconds), `seq`, `user_id`, `item_id`, `type`, `rating`, `text`, `extra`.
 *
 * Datasets are research material and never part of the repository: they are looked up under
 * PROFILESTREAM_DATASET_DIR, else `../shared/datasets/` beside the project, and callers skip
 * cleanly when none is found.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export interface DatasetEvent {
  ts: number;
  seq: number;
  user_id: string;
  item_id: string;
  type: string;
  rating: number | null;
  text: string;
  extra?: Record<string, unknown>;
}

const repoRoot = resolve(__dirname, '../../../..');

/** The first `events.jsonl.gz` found, or null when no dataset is available on this machine. */
export function findEventsFile(): string | null {
  const explicit = process.env['PROFILESTREAM_DATASET_DIR'];
  const roots = explicit ? [resolve(explicit)] : [join(repoRoot, '../shared/datasets')];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    if (existsSync(join(root, 'events.jsonl.gz'))) return join(root, 'events.jsonl.gz');
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      const candidate = join(root, entry.name, 'events.jsonl.gz');
      if (entry.isDirectory() && existsSync(candidate)) return candidate;
    }
  }
  return null;
}

/** Streams the events of a dataset file in file order (time order for the shipped datasets). */
export async function* readEvents(file: string, limit = Infinity): AsyncGenerator<DatasetEvent> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    if (n++ >= limit) break;
    yield JSON.parse(line) as DatasetEvent;
  }
}

export async function loadEvents(file: string, limit = Infinity): Promise<DatasetEvent[]> {
  const out: DatasetEvent[] = [];
  for await (const e of readEvents(file, limit)) out.push(e);
  return out;
}
