// A jest reporter that starts cfn-lint on the templates written so far once the last test files are running (the other
// workers are then idle): the global teardown (templates-global.ts) lints only what is left and waits for this.
// Reporters, global setup and teardown run in jest's main process, so they share `globalThis`.
class EarlyLint {
  constructor(globalConfig) {
    this.workers = Math.max(1, globalConfig.maxWorkers);
    this.total = 0;
    this.done = 0;
  }

  onRunStart(results) {
    this.total = results.numTotalTestSuites;
  }

  onTestResult() {
    this.done++;
    const start = globalThis.cfnLintEarly;
    // When fewer files remain than there are workers, a core is free: lint what there is on it.
    if (start && this.total - this.done < this.workers) {
      start();
    }
  }
}

module.exports = EarlyLint;
