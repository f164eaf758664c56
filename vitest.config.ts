import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/index/**/*.test.ts', 'test/interop/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    // A private MariaDB for the index tests that run on both engines.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Interop tests start servers and DCMTK processes; two cores, so run files two at a time.
    maxWorkers: 2,
    // Polled UI states (a page loading, a transfer finishing) get time on a loaded 2-core machine.
    expect: { poll: { timeout: 20_000 } },
  },
});
