/**
 * The npm path's size: what the browser SDK costs an app that installs the
 * package and bundles it. The app below uses the core of the API; it is
 * bundled the way an app's build would (esbuild, minified, for the browser),
 * with `idstitch` resolved to the built dist/index.mjs and its dependencies
 * from node_modules. Shared by test/package/size.test.ts and bench/sizes.ts.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_ESM = fileURLToPath(new URL('../../dist/index.mjs', import.meta.url));
const DIST_ESM_DEVELOPMENT = fileURLToPath(new URL('../../dist/index.development.mjs', import.meta.url));

/** The app: createTracker, identifyUser, identifyCompany, track, page and reset. */
export const NPM_APP = `
import { createTracker } from 'idstitch';

const tracker = createTracker({ endpoint: 'https://collect.example.com/v1/batch', writeKey: 'wk_live_123' });
tracker.page();
tracker.track('Docs Searched', { query: 'webhooks' });
tracker.identifyUser('u_8f2k', { email: 'ada@example.com', plan: 'team' });
tracker.identifyCompany('c_acme', { name: 'Acme' });
tracker.reset();
`;

/** The same app with each opt-in feature of the npm path, to measure what it adds. */
export const NPM_APP_WITH = {
  autoPage: NPM_APP.replace("import { createTracker } from 'idstitch';", "import { autoPage, createTracker } from 'idstitch';").replace("writeKey: 'wk_live_123' }", "writeKey: 'wk_live_123', autoPage }"),
  linker: NPM_APP.replace("import { createTracker } from 'idstitch';", "import { createTracker, linker } from 'idstitch';").replace(
    "writeKey: 'wk_live_123' }",
    "writeKey: 'wk_live_123', linkDomains: linker(['app.vendor.com']) }",
  ),
};

/**
 * The app bundled and minified (esbuild, browser, ESM), as the bytes an app would ship; `development`:
 * with the development build, as the `development` export condition resolves it (README "Warnings and errors").
 */
export async function bundleNpmApp(source = NPM_APP, development = false): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'js', sourcefile: 'app.js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    plugins: [
      {
        name: 'idstitch-dist',
        setup(plugin) {
          plugin.onResolve({ filter: /^idstitch$/ }, () => ({ path: development ? DIST_ESM_DEVELOPMENT : DIST_ESM }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.contents;
}

/** gzip -9 bytes of the bundled app. */
export async function npmAppGzipBytes(source?: string): Promise<number> {
  return gzipSync(await bundleNpmApp(source), { level: 9 }).length;
}
