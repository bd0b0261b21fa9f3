import { defineConfig } from 'vitest/config';

// The interop suite starts real OpenClaw gateways (about 1 GB of memory each), so it runs one file at a time.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results/interop.json' },
  },
});
