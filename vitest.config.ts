import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every check before a release, a purge or a rotation that starts from the signed-state mark is
    // also made whole, and a different verdict fails the test (src/ledger/verify.ts crossCheck).
    env: { CUSTODY_SIGNED_STATE_CROSSCHECK: '1' },
  },
});
