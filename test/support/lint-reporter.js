// A jest reporter that starts cfn-lint on the templates written so far once the last test files are running (the other
// workers are then idle): the global teardown (templates-global.ts) lints only what is left and waits for this.
// Reporters, global setup and teardown run in jest's main process, so they share `globalThis`.
class EarlyLint {
  constructor() {
    this.total = 0;
    this.done = 0;
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
  }

  onTestResult() {
    this.done++;
    const start = globalThis.cfnLintEarly;
    // When one file is left, its worker is the only one testing: the other core is free for cfn-lint.
    if (start && this.total - this.done <= 1) {
      start();
    }
  }
}

module.exports = EarlyLint;
