import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One local runtime (DynamoDB Local, s3rver, HTTP) for the whole run, shared by the projects.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/worker-env.ts'],
    // Generous: scrypt at OWASP cost dominates, and CI machines are shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: the KDF and DynamoDB Local compete with test workers.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/fuzz/**'] } },
      // The fuzz suite runs last, after every main test: the admins and lockouts it provokes
      // must not meet tests that count admins (the last-admin guard) or log in as the bootstrap admin.
      {
        extends: true,
        test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
