/** @type {import('jest').Config} The end-to-end suite against moto (`npm run test:e2e`; needs moto[server] 5.2.1). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  testTimeout: 120_000,
  // Node's fetch (undici) keeps its connections to moto alive after the server stopped; nothing else is left open.
  forceExit: true,
};
