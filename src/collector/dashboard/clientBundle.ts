/**
 * Bundles the dashboard's client (client/app.ts and its imports, TypeScript
 * for the DOM) into one minified ES module script. The build runs this once
 * and embeds the text (rollup.config.ts, embedDashboardClient); from source
 * (tests, tsx) clientScript.ts runs it on first use. esbuild is a
 * devDependency: the built package never loads this module.
 */
import type { BuildOptions } from 'esbuild';

/** Where the client's entry module is, from this file. */
export const CLIENT_ENTRY = new URL('./client/app.ts', import.meta.url);

/** The options both ways share, so the tests serve the bytes the package ships. */
const OPTIONS: BuildOptions = {
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  // tsc --noEmit checks the client with the root tsconfig.json (strict, DOM lib); esbuild only strips the types.
  tsconfigRaw: {},
};

export async function bundleDashboardClient(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({ ...OPTIONS, entryPoints: [entry] });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error(`idstitch-collector: bundling the dashboard client from ${entry} gave no output`);
  return output.text;
}
