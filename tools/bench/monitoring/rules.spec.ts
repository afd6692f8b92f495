import { spawnSync } from 'node:child_process';
import { prometheusBinary, ruleFiles, ruleTestFiles } from './prometheus-tools';

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(prometheusBinary('promtool'), args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('Prometheus rules (promtool)', () => {
  it('are valid rule files', () => {
    const r = promtool(['check', 'rules', ...ruleFiles]);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    // Counted so a rule group silently dropped from a file shows up here.
    expect(r.output).toContain('SUCCESS: 25 rules found');
    expect(r.output).toContain('SUCCESS: 12 rules found');
  }, 60_000);

  it('pass their unit tests: every alert firing and not firing', () => {
    const r = promtool(['test', 'rules', ...ruleTestFiles]);
    if (r.status !== 0) throw new Error(r.output);
    expect(r.output).toContain('SUCCESS');
  }, 60_000);
});
