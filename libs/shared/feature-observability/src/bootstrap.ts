import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';

/** The signals that stop a service (drained); any other is left to Node's defaults. */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** After SIGTERM the process exits by force once the drain timeout plus this margin has passed. */
export const FORCED_EXIT_MARGIN_MS = 5_000;

export interface BootstrapOptions {
  host: string;
  port: number;
  /** After SIGTERM, the process exits by force once this has passed (drain plus a margin). */
  drainTimeoutMs: number;
  /** Runs on the created application before it listens (extra routes, such as an API description). */
  configure?: (app: INestApplication) => void;
}

/**
 * Starts a service: pino logging from the first line, shutdown hooks so SIGTERM drains consumers
 * and commits offsets (`beforeApplicationShutdown`), and a hard deadline so a stuck drain cannot
 * keep a pod terminating forever.
 */
export async function bootstrapService(rootModule: Type<unknown> | DynamicModule, options: BootstrapOptions): Promise<INestApplication> {
  const app = await NestFactory.create(rootModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Only the stop signals: Nest's default list has SIGUSR2 (and others) too, which would stop a
  // service asked for a heap snapshot or a profile, or by a tool that signals for its own reasons.
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS]);
  for (const signal of SHUTDOWN_SIGNALS) {
    process.once(signal, () => {
      setTimeout(() => {
        app.get(Logger).error({ signal, drainTimeoutMs: options.drainTimeoutMs }, 'shutdown exceeded its deadline; exiting');
        process.exit(1);
      }, options.drainTimeoutMs + FORCED_EXIT_MARGIN_MS).unref();
    });
  }
  // SIGUSR2 would end the process by default; profilers and heap-snapshot tools send it.
  process.on('SIGUSR2', () => app.get(Logger).log({ signal: 'SIGUSR2' }, 'signal ignored: only SIGTERM and SIGINT stop the service'));
  options.configure?.(app);
  await app.listen(options.port, options.host);
  return app;
}

/**
 * A service's `main`: validates configuration (a ConfigError prints the bad variables, without a
 * stack, and exits 1), then boots the root module on the configured HTTP address.
 */
export function runService<C extends { service: { HTTP_HOST: string; HTTP_PORT: number; SHUTDOWN_DRAIN_TIMEOUT_MS: number } }>(
  loadConfig: () => C,
  rootModule: (config: C) => DynamicModule,
  configure?: (app: INestApplication) => void,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
    process.exit(1);
  }
  bootstrapService(rootModule(config), {
    host: config.service.HTTP_HOST,
    port: config.service.HTTP_PORT,
    drainTimeoutMs: config.service.SHUTDOWN_DRAIN_TIMEOUT_MS,
    ...(configure ? { configure } : {}),
  }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
