/** Locating Debian's Prometheus binaries (installed by tools/ci/setup.sh) and the project's rule files. */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../..');
export const monitoringDir = join(repoRoot, 'deploy/monitoring');
export const ruleFiles = [
  join(monitoringDir, 'prometheus/recording.yml'),
  join(monitoringDir, 'prometheus/alerts.yml'),
];
export const ruleTestFiles = [join(monitoringDir, 'prometheus/tests/alerts.test.yml')];
export const dashboardFile = join(monitoringDir, 'grafana/profilestream.json');

/** Path of `prometheus` or `promtool`; a clear error when tools/ci/setup.sh has not installed them. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${name} is not installed: run \`bash tools/ci/setup.sh\` (it installs Debian's prometheus package)`,
    );
  }
}
