import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ServiceName } from '@profilestream/tools-runtime';

const repoRoot = resolve(__dirname, '../..');

/** How a service's Kubernetes deployment runs its process, besides the service's own configuration. */
export interface DeployedRuntime {
  /** Node and V8 flags of the container's command, before the script (none when the image's command is kept). */
  nodeFlags: string[];
  /** `NODE_OPTIONS` and glibc's `MALLOC_*` allocator settings. */
  env: Record<string, string>;
}

/**
 * What the deployment gives the process (the heap cap and collector flags, the allocator
 * settings), so a benchmark measures the memory and CPU that is deployed rather than Node's
 * defaults. Service configuration (the ConfigMaps) is left to the benchmark, which sets what it
 * measures.
 */
export function deployedRuntime(service: ServiceName): DeployedRuntime {
  const file = `deploy/k8s/base/${service}/deployment.yaml`;
  const manifest = parseYaml(readFileSync(join(repoRoot, file), 'utf8')) as {
    spec: {
      template: {
        spec: { containers: { name: string; command?: string[]; env?: { name: string; value?: string }[] }[] };
      };
    };
  };
  const container = manifest.spec.template.spec.containers.find((c) => c.name === service);
  if (!container) throw new Error(`${file} has no container named ${service}`);
  const env: Record<string, string> = {};
  for (const { name, value } of container.env ?? [])
    if (value !== undefined && (name === 'NODE_OPTIONS' || name.startsWith('MALLOC_'))) env[name] = value;
  // The deploy checks hold a command to `node`, flags, then the service's main.
  return { nodeFlags: (container.command ?? []).slice(1, -1), env };
}

/** `--flag … NAME=value …` for a benchmark's notes, or `(none)`. */
export function describeRuntime({ nodeFlags, env }: DeployedRuntime): string {
  return [...nodeFlags, ...Object.entries(env).map(([name, value]) => `${name}=${value}`)].join(' ') || '(none)';
}
