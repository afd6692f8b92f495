/**
 * Prints the README's configuration table rows for an environment schema, so the table is
 * generated from the schemas services validate at boot rather than written by hand.
 *
 *   npx tsx tools/docs/config-table.ts            every service
 */
import type { z } from 'zod';
import { describeEnv, kafkaEnvSchema, redisEnvSchema, serviceEnvSchema } from '@profilestream/config';
// The services' own schemas are the source of the table; apps export nothing else to tools.
/* eslint-disable @nx/enforce-module-boundaries */
import { encoderEnvSchema } from '../../apps/encoder/src/config/encoder.config';
import { fuserEnvSchema } from '../../apps/profile-fuser/src/config/profile-fuser.config';
import { cleanerEnvSchema } from '../../apps/text-cleaner/src/config/text-cleaner.config';
/* eslint-enable @nx/enforce-module-boundaries */

const sections: [string, z.ZodObject<z.ZodRawShape>][] = [
  ['All services: HTTP, logging, shutdown', serviceEnvSchema(0)],
  ['All services: Kafka', kafkaEnvSchema],
  ['text-cleaner, profile-fuser, encoder: Redis', redisEnvSchema],
  ['text-cleaner', cleanerEnvSchema],
  ['encoder', encoderEnvSchema],
  ['profile-fuser', fuserEnvSchema],
];

for (const [title, schema] of sections) {
  console.log(`\n**${title}**\n`);
  console.log('| Variable | Default | Meaning |\n|---|---|---|');
  for (const row of describeEnv(schema)) {
    const fallback = row.name === 'HTTP_PORT' ? 'per service (8081, 8082, 8083)' : row.default;
    console.log(`| \`${row.name}\` | ${fallback === '(required)' ? '**required**' : `\`${fallback}\``} | ${row.description.replace(/\|/g, '\\|')} |`);
  }
}
