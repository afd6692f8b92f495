// Writes each jest run's totals to reports/jest/<project>-<kind>.json, so the test command can
// print one line for the whole suite across every Nx project it ran.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig, options) {
    this.name = options.name;
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(__dirname, '../../../reports/jest');
    fs.mkdirSync(dir, { recursive: true });
    const summary = {
      name: this.name,
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      // A suite that failed to load counts as a failure even though none of its tests ran.
      brokenSuites: results.numRuntimeErrorTestSuites,
    };
    fs.writeFileSync(path.join(dir, `${this.name.replace(/[^a-z0-9-]+/gi, '_')}.json`), JSON.stringify(summary));
  }
}

module.exports = SummaryReporter;
