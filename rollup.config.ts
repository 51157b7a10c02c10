import { readFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { rollup, type Plugin, type RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const compile = () => [
  replace({ preventAssignment: true, values: { __IDSTITCH_VERSION__: JSON.stringify(pkg.version) } }),
  // Types are checked by `tsc --noEmit` over the whole project; here only the sources are compiled.
  typescript({
    tsconfig: false,
    include: ['src/browser/**/*.ts', 'src/protocol/**/*.ts'],
    compilerOptions: { strict: true, removeComments: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2020', lib: ['ES2022', 'DOM'], types: [] },
  }),
];

/** Node entries (server integration, collector): every dependency and built-in stays external. */
const NODE_DEPENDENCIES = /^(node:|fastify$|better-sqlite3$|pg$|uuid$)/;
const compileNode = () => [
  typescript({
    tsconfig: false,
    include: ['src/server/**/*.ts', 'src/collector/**/*.ts', 'src/protocol/**/*.ts'],
    compilerOptions: { strict: true, removeComments: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022'], types: ['node'] },
  }),
];
/**
 * The server's delivery thread, built as one CommonJS script and put into
 * workerSource.ts as text: the thread starts from that text, so an app's
 * bundler cannot lose a worker file. The thread cannot read its version from
 * package.json (it has no file of its own), so the build writes it in.
 */
function embedDeliveryWorker(): Plugin {
  const isFile = (id: string, file: string) => id.replaceAll('\\', '/').endsWith(file);
  return {
    name: 'embed-delivery-worker',
    async load(id) {
      if (!isFile(id, '/src/server/workerSource.ts')) return null;
      const bundle = await rollup({
        input: 'src/server/deliveryWorker.ts',
        external: (dep) => dep.startsWith('node:'),
        plugins: [
          { name: 'version', load: (dep) => (isFile(dep, '/src/server/version.ts') ? `export const VERSION = ${JSON.stringify(pkg.version)};` : null) },
          ...compileNode(),
          terser({ ecma: 2020, format: { comments: false } }),
        ],
      });
      const { output } = await bundle.generate({ format: 'cjs' });
      await bundle.close();
      return `export const DELIVERY_WORKER_SCRIPT = ${JSON.stringify(output[0].code)};`;
    },
  };
}
const NODE_ENTRIES = { 'server/index': 'src/server/index.ts', 'collector/index': 'src/collector/index.ts', 'collector/cli': 'src/collector/cli.ts' };
// The SQLite writer thread loads the chunk that holds sqliteWriter.ts (its own
// import.meta.url): a chunk of its own keeps fastify and the rest out of the
// thread. threads.ts, which both it and the server use, gets a chunk of its
// own too: inside the writer's chunk it would make idstitch/server load
// better-sqlite3.
const manualChunks = (id: string) =>
  id.endsWith('/src/collector/store/sqliteWriter.ts') ? 'sqliteWriter' : id.endsWith('/src/server/threads.ts') ? 'threads' : undefined;

// Internal names that start with `_` are mangled away in the script-tag build (web-vitals does the same).
const minify = () =>
  terser({ ecma: 2020, compress: { passes: 3, pure_getters: true }, mangle: { properties: { regex: /^_/ } }, format: { comments: false } });

const config: RollupOptions[] = [
  // npm: ESM and CJS, minified like the script-tag build: an app's bundler
  // re-minifies, but it never renames properties, so the `_` names are mangled here.
  {
    input: 'src/browser/index.ts',
    plugins: [...compile(), minify()],
    output: [
      { file: 'dist/index.mjs', format: 'es' },
      { file: 'dist/index.cjs', format: 'cjs' },
    ],
  },
  // Types: one declaration file per module format, so TypeScript resolves both correctly.
  {
    input: 'src/browser/index.ts',
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: [
      { file: 'dist/index.d.ts', format: 'es' },
      { file: 'dist/index.d.cts', format: 'es' },
    ],
  },
  // Script tag: everything bundled into one IIFE that sets window.idstitch.
  {
    input: 'src/browser/global.ts',
    plugins: [nodeResolve({ browser: true }), ...compile(), minify()],
    output: { file: 'dist/idstitch.min.js', format: 'iife', sourcemap: process.env.SOURCEMAP === '1' },
  },
  // Node: the server integration and the collector, ESM and CJS.
  {
    input: NODE_ENTRIES,
    external: (id) => NODE_DEPENDENCIES.test(id),
    plugins: [embedDeliveryWorker(), ...compileNode()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'shared/[name]-[hash].mjs', manualChunks },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'shared/[name]-[hash].cjs', manualChunks },
    ],
  },
  {
    input: { 'server/index': 'src/server/index.ts', 'collector/index': 'src/collector/index.ts' },
    external: (id) => NODE_DEPENDENCIES.test(id),
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'shared/[name]-[hash].d.ts' },
      { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: 'shared/[name]-[hash].d.cts' },
    ],
  },
  {
    input: 'src/browser/snippet.js',
    plugins: [minify()],
    output: { file: 'dist/snippet.min.js', format: 'iife' },
  },
];

export default config;
