import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // The build puts package.json's version in; tests of the sources get the same.
  define: { __IDSTITCH_VERSION__: JSON.stringify(version) },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // Real processes: Chromium, the collector over HTTP, SQLite, PostgreSQL.
        extends: true,
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
      {
        // The public API's types: `expectTypeOf` fails only under tsc, so these files are type-checked, not run.
        extends: true,
        test: {
          name: 'types',
          typecheck: { enabled: true, only: true, include: ['test/**/*.test-d.ts'] },
        },
      },
    ],
  },
});
