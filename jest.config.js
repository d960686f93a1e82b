/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are caught by the `tsc --noEmit` step of `npm test`; ts-jest only transpiles, which keeps the suite fast.
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  // cfn-lint over every template the tests inspected (test/support/templates-global.ts).
  globalSetup: '<rootDir>/test/support/templates-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/templates-global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/lint-reporter.js'],
  // Child-process tests start tsx (~0.5 s each); the default 5 s leaves no room on a loaded 2-core machine.
  testTimeout: 30_000,
  // Three workers on two cores: a worker spends much of its time loading aws-cdk-lib for each test file and waiting on
  // child processes (tsx, cfn-guard), so a third keeps both cores busy (75 s instead of 100 s for the suite here).
  maxWorkers: 3,
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
};
