import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/** Tests of the server's and the collector's pure functions: fast, so `npm run test:unit` covers all three parts. */
const PURE_NODE_TESTS = ['test/collector/rules.test.ts', 'test/collector/options.test.ts', 'test/server/hmacUid.test.ts', 'test/server/signIdentity.test.ts'];

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
        // Pure rules of the server and the collector: no server, no database, run in parallel with the unit project.
        extends: true,
        test: {
          name: 'unit-node',
          environment: 'node',
          include: PURE_NODE_TESTS,
        },
      },
      {
        // Real processes: Chromium, the collector over HTTP, SQLite, PostgreSQL.
        extends: true,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/{browser,collector,server,e2e,package}/**/*.test.ts'],
          exclude: PURE_NODE_TESTS,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One PostgreSQL server for every file of the run; each file makes its own databases on it.
          globalSetup: ['test/support/postgresGlobalSetup.ts'],
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
