/**
 * Prints the README's configuration table rows for an environment schema, so the table is
 * generated from the schemas services validate at boot rather than written by hand.
 *
 *   npx tsx tools/ci/docs/config-table.ts            every service
 */
import type { z } from 'zod';
import { describeEnv, kafkaEnvSchema, redisEnvSchema, serviceEnvSchema } from '@profilestream/config';
import { encoderEnv } from '@profilestream/encoder-config';
import { fuserEnv } from '@profilestream/profile-fuser-config';
import { textCleanerEnv } from '@profilestream/text-cleaner-config';

const sections: [string, z.ZodObject<z.ZodRawShape>][] = [
  ['All services: HTTP, logging, shutdown', serviceEnvSchema(0)],
  ['All services: Kafka', kafkaEnvSchema],
  ['text-cleaner, profile-fuser, encoder: Redis', redisEnvSchema],
  ['text-cleaner', textCleanerEnv.own],
  ['encoder', encoderEnv.own],
  ['profile-fuser', fuserEnv.own],
];

for (const [title, schema] of sections) {
  console.log(`\n**${title}**\n`);
  console.log('| Variable | Default | Meaning |\n|---|---|---|');
  for (const row of describeEnv(schema)) {
    const fallback = row.name === 'HTTP_PORT' ? 'per service (8081, 8082, 8083)' : row.default;
    console.log(
      `| \`${row.name}\` | ${fallback === '(required)' ? '**required**' : `\`${fallback}\``} | ${row.description.replace(/\|/g, '\\|')} |`,
    );
  }
}
