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
export async function bootstrapService(
  rootModule: Type<unknown> | DynamicModule,
  options: BootstrapOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(rootModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Only the stop signals: Nest's default list has SIGUSR2 (and others) too, which would stop a
  // service asked for a heap snapshot or a profile, or by a tool that signals for its own reasons.
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS]);
  for (const signal of SHUTDOWN_SIGNALS) {
    process.once(signal, () => {
      setTimeout(() => {
        app
          .get(Logger)
          .error({ signal, drainTimeoutMs: options.drainTimeoutMs }, 'shutdown exceeded its deadline; exiting');
        process.exit(1);
      }, options.drainTimeoutMs + FORCED_EXIT_MARGIN_MS).unref();
    });
  }
  // SIGUSR2 would end the process by default; profilers and heap-snapshot tools send it.
  process.on('SIGUSR2', () =>
    app.get(Logger).log({ signal: 'SIGUSR2' }, 'signal ignored: only SIGTERM and SIGINT stop the service'),
  );
  options.configure?.(app);
  await app.listen(options.port, options.host);
  return app;
}

/** What a service's command line says about it: `--help` prints this before anything is loaded. */
export interface ServiceUsage {
  /** The service's name, as in its logs and metrics. */
  name: string;
  /** One line on what it does. */
  summary: string;
  /** Its environment variables, each with its default and meaning. */
  variables: readonly { name: string; default: string; description: string }[];
}

/**
 * Reads a service's command line before anything is loaded: `--help` (or `-h`) prints the usage
 * and every variable and returns 'help'; any other argument is an error line and returns 'error'.
 */
export function serviceCommandLine(
  argv: readonly string[],
  usage: ServiceUsage,
  out: (text: string) => void = (t) => console.log(t),
): 'run' | 'help' | 'error' {
  const unknown = argv.find((a) => a !== '--help' && a !== '-h');
  if (unknown !== undefined) {
    console.error(
      `error: ${usage.name} takes no argument but --help; got "${unknown}" (it is configured by environment variables)`,
    );
    return 'error';
  }
  if (argv.length === 0) return 'run';
  const width = Math.max(...usage.variables.map((v) => v.name.length));
  const lines = usage.variables.map(
    (v) =>
      `  ${v.name.padEnd(width)}  ${v.default === '(required)' ? 'required' : `default ${v.default}`}\n  ${' '.repeat(width)}  ${v.description}`,
  );
  out(
    `${usage.name}: ${usage.summary}\n\nUsage: node main.js [--help]\n\nConfigured by environment variables (empty counts as unset):\n\n${lines.join('\n')}`,
  );
  return 'help';
}

/**
 * A service's `main`: answers `--help` (exit 0) or a stray argument (exit 2) first, validates
 * configuration (a ConfigError prints the bad variables, without a stack, and exits 1), then boots
 * the root module on the configured HTTP address.
 */
export function runService<
  C extends { service: { HTTP_HOST: string; HTTP_PORT: number; SHUTDOWN_DRAIN_TIMEOUT_MS: number } },
>(
  usage: ServiceUsage,
  loadConfig: () => C,
  rootModule: (config: C) => DynamicModule,
  configure?: (app: INestApplication) => void,
): void {
  const command = serviceCommandLine(process.argv.slice(2), usage);
  if (command !== 'run') process.exit(command === 'help' ? 0 : 2);
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
