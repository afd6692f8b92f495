import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot, ruleFiles } from './prometheus-tools';

const runbookPath = join(repoRoot, 'docs/operations.md');
const runbook = readFileSync(runbookPath, 'utf8');
const alertsYaml = readFileSync(ruleFiles[1]!, 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm);
  return new Set(
    [...headings].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('the operations runbook', () => {
  const sections = anchors(runbook);

  it('has the section every alert points to', () => {
    const alerts = [...alertsYaml.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
    const runbooks = [...alertsYaml.matchAll(/^\s+runbook: docs\/operations\.md#([\w-]+)$/gm)].map((m) => m[1]!);
    expect(alerts).toHaveLength(12);
    expect(runbooks).toHaveLength(alerts.length);
    expect(runbooks.filter((a) => !sections.has(a))).toEqual([]);
  });

  it('links only to sections and files that exist', () => {
    const links = [...runbook.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    const broken = links.filter((link) => {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      if (file === '') return !sections.has(anchor!);
      const target = join(dirname(runbookPath), file);
      if (!existsSync(target)) return true;
      return anchor !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('documents only npm scripts that exist', () => {
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const used = [...runbook.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(3);
    expect([...new Set(used)].filter((s) => !(s in scripts))).toEqual([]);
  });
});
