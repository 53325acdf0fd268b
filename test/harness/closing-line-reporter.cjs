// Prints the run's totals as the very last line ("Tests: N passed, N failed"), which CI reads as the run's result.
// A suite that fails to load (syntax error, failing beforeAll) counts as a failure even though no test ran in it.
const { writeSync } = require('node:fs');

class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `Tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => writeSync(1, line));
  }
}
module.exports = ClosingLineReporter;
