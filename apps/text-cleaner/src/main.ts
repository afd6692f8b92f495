import { bootstrapService } from '@profilestream/observability';
import { ConfigError } from '@profilestream/config';
import { AppModule } from './app.module';
import { loadTextCleanerConfig } from './config/text-cleaner.config';

async function main(): Promise<void> {
  const config = loadTextCleanerConfig();
  await bootstrapService(AppModule.forRoot(config), {
    host: config.service.HTTP_HOST,
    port: config.service.HTTP_PORT,
    drainTimeoutMs: config.service.SHUTDOWN_DRAIN_TIMEOUT_MS,
  });
}

main().catch((err: unknown) => {
  // Configuration errors name the bad variables; print them plainly, without a stack.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
