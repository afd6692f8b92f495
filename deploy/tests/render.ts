import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object: only the envelope is typed, the rest is read with care. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

export const REPO_ROOT = resolve(__dirname, '../..');
export const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');
export const OVERLAYS = ['dev', 'prod', 'gpu'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Kustomize 5 features the manifests use: components, replacements, NamespaceTransformer unsetOnly. */
const MIN_KUSTOMIZE_MAJOR = 5;

interface Renderer {
  command: string;
  args: (dir: string) => string[];
  describe: string;
}

function kustomizeMajor(versionOutput: string): number | null {
  const m = /v(\d+)\.\d+\.\d+/.exec(versionOutput);
  return m ? Number(m[1]) : null;
}

function tryRun(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

let cached: Renderer | undefined;

/**
 * `kubectl kustomize` when kubectl bundles kustomize 5 or later, else a standalone `kustomize`
 * (on PATH or in .cache/bin, where tools/ci/setup.sh installs it). Throws when neither is there:
 * the tests must not pass without rendering.
 */
export function renderer(): Renderer {
  if (cached) return cached;
  const kubectl = tryRun('kubectl', ['version', '--client']);
  const kubectlMajor = kubectl ? kustomizeMajor(/Kustomize Version: (\S+)/.exec(kubectl)?.[1] ?? '') : null;
  if (kubectlMajor !== null && kubectlMajor >= MIN_KUSTOMIZE_MAJOR) {
    cached = {
      command: 'kubectl',
      args: (dir) => ['kustomize', dir],
      describe: `kubectl (${/Kustomize Version: (\S+)/.exec(kubectl!)?.[1]})`,
    };
    return cached;
  }
  for (const candidate of [join(REPO_ROOT, '.cache/bin/kustomize'), 'kustomize']) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const version = tryRun(candidate, ['version']);
    const major = version ? kustomizeMajor(version) : null;
    if (major !== null && major >= MIN_KUSTOMIZE_MAJOR) {
      cached = { command: candidate, args: (dir) => ['build', dir], describe: `kustomize ${version!.trim()}` };
      return cached;
    }
  }
  throw new Error(
    `no kustomize ${MIN_KUSTOMIZE_MAJOR}.x found (kubectl kustomize or kustomize); run tools/ci/setup.sh`,
  );
}

/** Renders a kustomization directory and parses every YAML document of the output. */
export function render(dir: string): K8sObject[] {
  const r = renderer();
  let out: string;
  try {
    out = execFileSync(r.command, r.args(dir), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${r.describe} failed on ${dir}: ${stderr.trim() || String(err)}`);
  }
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(out)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from ${dir}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

export function renderOverlay(overlay: Overlay): K8sObject[] {
  return render(join(K8S_DIR, 'overlays', overlay));
}
