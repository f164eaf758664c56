import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Interop tests start servers and DCMTK processes; two cores, so run files two at a time.
    maxWorkers: 2,
  },
});
