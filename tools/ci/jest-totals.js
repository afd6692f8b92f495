// Sums the per-project jest summaries into the suite's closing line: `N passed, N failed`.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '../../reports/jest');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of files) {
  const s = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  passed += s.passed;
  failed += s.failed + s.brokenSuites;
  skipped += s.skipped;
  console.log(
    `  ${s.name.padEnd(52)} ${String(s.passed).padStart(4)} passed ${String(s.failed + s.brokenSuites).padStart(3)} failed ${String(s.skipped).padStart(3)} skipped`,
  );
}
// Failed checks that are not jest (typecheck, lint) count as one failure each; a jest step that
// failed without reporting a failed test (a crash, a config error) counts as one too.
const checkFailures = Number(process.argv[2] ?? 0);
const jestStepFailures = Number(process.argv[3] ?? 0);
failed += checkFailures + (jestStepFailures > 0 && failed === 0 ? 1 : 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
