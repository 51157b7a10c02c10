import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // Real processes: Chromium, the collector over HTTP, SQLite, PostgreSQL.
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/{browser,collector,server,e2e,package}/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: one heavy file at a time keeps timings honest and Chromium stable.
          fileParallelism: false,
        },
      },
    ],
  },
});
