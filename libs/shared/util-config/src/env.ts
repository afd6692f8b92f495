import { z } from 'zod';

/** Raised at boot when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Validates `env` against a schema of environment variables and returns the typed result.
 * Empty strings count as unset, so `FOO=` falls back to the default like an absent variable.
 */
export function parseEnv<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  env: Env = process.env,
  crossChecks: (data: z.infer<S>) => string[] = () => [],
): z.infer<S> {
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const shown = typeof cleaned[name] === 'string' ? ` (got "${redactIfSecret(name, cleaned[name]!)}")` : '';
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const problems = crossChecks(result.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

function redactIfSecret(name: string, value: string): string {
  return /PASSWORD|SECRET|TOKEN|KEY$/i.test(name) ? '***' : withoutUrlCredentials(value);
}

/**
 * A value with the credentials of any URL in it masked (`redis://app:hunter2@host` →
 * `redis://app:***@host`, `redis://:hunter2@host` → `redis://:***@host`): configuration errors echo
 * what they got, and a URL may carry a password.
 */
export function withoutUrlCredentials(value: string): string {
  return value.replace(/(\/\/)([^@/\s]*)@/g, (_, slashes: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${slashes}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

/**
 * Why a file named by a variable could not be read, as Node says it without the path (which the
 * caller names): `ENOENT: no such file or directory` from `ENOENT: no such file or directory, open '/x/ca.crt'`.
 */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const first = typeof e?.message === 'string' ? (e.message.split('\n')[0] ?? '') : '';
  const reason = first.replace(/, [a-z]+(?: '.*')?$/, '').trim();
  return reason || (typeof e?.code === 'string' ? e.code : String(err));
}

/** Variable builders: each carries its documentation (zod's description) for the README table. */
export const env = {
  string: (doc: string, fallback?: string) =>
    fallback === undefined ? z.string().describe(doc) : z.string().default(fallback).describe(doc),
  optionalString: (doc: string) => z.string().optional().describe(doc),
  int: (doc: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ invalid_type_error: 'must be a number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback)
      .describe(doc),
  number: (doc: string, fallback: number, min = -Infinity, max = Infinity) =>
    z.coerce
      .number({ invalid_type_error: 'must be a number' })
      .refine(Number.isFinite, 'must be a finite number')
      .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)
      .default(fallback)
      .describe(doc),
  bool: (doc: string, fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { errorMap: () => ({ message: 'must be true or false' }) })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(fallback ? 'true' : 'false')
      .describe(doc),
  oneOf: <const T extends [string, ...string[]]>(doc: string, values: T, fallback: T[number]) =>
    z
      .enum(values, { errorMap: () => ({ message: `must be one of ${values.join(', ')}` }) })
      .default(fallback as never)
      .describe(doc),
  /** A comma-separated list, e.g. `host1:9092,host2:9092`. */
  list: (doc: string, fallback: string, item: z.ZodType<string> = z.string().min(1)) =>
    z
      .string()
      .default(fallback)
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x.length > 0),
      )
      .pipe(z.array(item).min(1, 'must list at least one value'))
      .describe(doc),
  /** A comma-separated list of positive numbers, e.g. half-lives. */
  numberList: (doc: string, fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s, ctx) => {
        const out = s.split(',').map((x) => Number(x.trim()));
        if (out.some((n) => !Number.isFinite(n) || n <= 0))
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a comma-separated list of positive numbers' });
        return out;
      })
      .describe(doc),
};

/** `host:port` with a port in range. */
export const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'must be host:port');

/** One row of the configuration table. */
export interface EnvVarDoc {
  name: string;
  description: string;
  default: string;
}

/** Documentation rows for every variable of a schema, for the README's configuration table. */
export function describeEnv(schema: z.ZodObject<z.ZodRawShape>): EnvVarDoc[] {
  return Object.entries(schema.shape).map(([name, type]) => {
    const t = type as z.ZodTypeAny;
    let fallback = '(required)';
    let inner: z.ZodTypeAny = t;
    while (inner) {
      if (inner instanceof z.ZodDefault) {
        const v = inner._def.defaultValue();
        fallback = v === '' ? '(empty)' : String(v);
        break;
      }
      if (inner instanceof z.ZodOptional) {
        fallback = '(unset)';
        break;
      }
      const next: z.ZodTypeAny | undefined = inner._def?.innerType ?? inner._def?.schema ?? inner._def?.in;
      if (!next) break;
      inner = next;
    }
    return { name, description: t.description ?? '', default: fallback };
  });
}
