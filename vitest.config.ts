import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One local runtime (DynamoDB Local, s3rver, HTTP) for the whole run.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/worker-env.ts'],
    // Generous: scrypt at OWASP cost dominates, and CI machines are shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: the KDF and DynamoDB Local compete with test workers.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
