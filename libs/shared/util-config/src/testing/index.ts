import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { describeEnv } from '../env';

const README = join(__dirname, '../../../../../README.md');

/** Variables of `schema` that have no row in the README's configuration tables. */
export function undocumentedVariables(schema: z.ZodObject<z.ZodRawShape>): string[] {
  const readme = readFileSync(README, 'utf8');
  return describeEnv(schema)
    .map((row) => row.name)
    .filter((name) => !readme.includes(`| \`${name}\` |`));
}
