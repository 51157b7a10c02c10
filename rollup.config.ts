import { readFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { rollup, type Plugin, type RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import { bundleDashboardClient } from './src/collector/dashboard/clientBundle.js';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const compile = () => [
  replace({ preventAssignment: true, values: { __IDSTITCH_VERSION__: JSON.stringify(pkg.version) } }),
  // Types are checked by `tsc --noEmit` over the whole project; here only the sources are compiled.
  // ES2022 keeps `??=`, `||=` and the error's class fields as written (Chrome 85, Firefox 79, Safari 14;
  // ES2020's optional chaining already asked for Chrome 80, Safari 13.1): 7 B gzip on the npm path, 12 B in the script tag.
  typescript({
    tsconfig: false,
    include: ['src/browser/**/*.ts', 'src/protocol/**/*.ts'],
    compilerOptions: { strict: true, removeComments: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [] },
  }),
];

/**
 * The browser builds' declarations in the forms terser leaves shorter, once TypeScript made them
 * JavaScript: `let` for `const`, a module's own functions as `let name = (...) => {...}`, and
 * its classes as `let Name = class ... {...}` (script tag -10 B gzip).
 * Terser keeps each as written, and then cannot join them with the declarations around them.
 * For this code they mean the same: TypeScript refuses a `const` assigned again, a class stays a
 * class (only its name becomes a `let`, which nothing assigns; classes with static members are left), no function
 * rewritten uses `this` or `arguments` or is called with `new`, and no module calls one of its
 * functions while it loads (calls come from the app, or from the global's install() once every
 * declaration ran; the Chromium and SSR tests load these builds). Script tag: -63 B gzip for
 * `let`, -33 B more for the functions; npm path -26 B (in place of terser's hoist_funs, -24 B).
 * Each rewrite pads the head it replaces to its length (a class's is longer), so lines keep their place; columns within a
 * rewritten head, and the `;` after a rewritten body, move a little in the script tag's optional
 * source map (SOURCEMAP=1). A rewritten exported function is no constructor either: `new createTracker()`
 * throws, where it once made an object; the API is called, never constructed.
 */
function compactDeclarations(): Plugin {
  type Node = { type: string; kind?: string; start: number; end: number; async?: boolean; generator?: boolean; id?: Node; body?: Node; declaration?: Node };
  return {
    name: 'compact-declarations',
    transform(code, id) {
      if (!/\.ts$/.test(id)) return null;
      const edits: [start: number, end: number, text: string][] = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach(visit);
        const { type, kind, start } = node as Node;
        if (type === 'VariableDeclaration' && kind === 'const') edits.push([start, start + 5, 'let  ']);
        Object.values(node).forEach(visit);
      };
      const program = this.parse(code) as unknown as { body: Node[] };
      visit(program);
      for (const statement of program.body) {
        const fn = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
        // A class the same way, so it joins the `let` list too; not one with static members, which could name the
        // class while it is made (the `let` is not set until then, where a class declaration's name already is).
        if (fn?.type === 'ClassDeclaration') {
          if (/\bstatic\b/.test(code.slice(fn.start, fn.end))) continue;
          const name = code.slice(fn.id!.start, fn.id!.end);
          edits.push([fn.start, fn.id!.end, `let ${name}=class`], [fn.end, fn.end, ';']);
          continue;
        }
        if (fn?.type !== 'FunctionDeclaration' || fn.generator || /\b(this|arguments)\b/.test(code.slice(fn.start, fn.end))) continue;
        const name = code.slice(fn.id!.start, fn.id!.end);
        // An arrow cannot be a constructor.
        if (new RegExp(`\\bnew\\s+${name.replace(/\$/g, '\\$')}\\b`).test(code)) continue;
        const head = code.slice(fn.start, fn.body!.start);
        const params = code.slice(fn.id!.end, fn.body!.start).trimEnd();
        const arrow = `let ${name}=${fn.async ? 'async ' : ''}${params}=>`;
        edits.push([fn.start, fn.body!.start, arrow.padEnd(head.length)], [fn.body!.end, fn.body!.end, ';']);
      }
      let out = code;
      for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
      return { code: out, map: null };
    },
  };
}

/**
 * The production browser builds: src/browser/messages.ts, the words of every warning and error, is
 * left out, so the logger prints each message's key and details (README "Warnings and errors").
 * The development builds keep it.
 */
function withoutMessageTexts(): Plugin {
  const EMPTY = '\0idstitch:messages-production';
  return {
    name: 'without-message-texts',
    resolveId: (source, importer) => (source === './messages.js' && importer?.replaceAll('\\', '/').includes('/src/browser/') ? EMPTY : null),
    load: (id) => (id === EMPTY ? 'export const MESSAGES = undefined, describeOption = undefined;' : null),
  };
}

/** Node entries (server integration, collector): every dependency and built-in stays external. */
const NODE_DEPENDENCIES = /^(node:|fastify$|better-sqlite3$|pg$)/;
const compileNode = () => [
  replace({ preventAssignment: true, values: { __IDSTITCH_VERSION__: JSON.stringify(pkg.version) } }),
  typescript({
    tsconfig: false,
    include: ['src/server/**/*.ts', 'src/collector/**/*.ts', 'src/node/**/*.ts', 'src/protocol/**/*.ts'],
    // The dashboard's client is browser code, bundled apart (embedDashboardClient).
    exclude: ['src/collector/dashboard/client/**'],
    compilerOptions: { strict: true, removeComments: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022'], types: ['node'] },
  }),
];
/**
 * The server's delivery thread, built as one CommonJS script and put into
 * workerSource.ts as text: the thread starts from that text, so an app's
 * bundler cannot lose a worker file.
 */
function embedDeliveryWorker(): Plugin {
  return {
    name: 'embed-delivery-worker',
    async load(id) {
      if (!id.replaceAll('\\', '/').endsWith('/src/server/delivery/workerSource.ts')) return null;
      const bundle = await rollup({
        input: 'src/server/delivery/worker.ts',
        external: (dep) => dep.startsWith('node:'),
        plugins: [...compileNode(), terser({ ecma: 2020, format: { comments: false } })],
      });
      const { output } = await bundle.generate({ format: 'cjs' });
      await bundle.close();
      return `export const DELIVERY_WORKER_SCRIPT = ${JSON.stringify(output[0].code)};`;
    },
  };
}

/**
 * The dashboard's browser script, bundled from its TypeScript
 * (src/collector/dashboard/client/app.ts) and put into clientScript.ts as
 * text: the package serves it with no file to copy and no esbuild.
 */
function embedDashboardClient(): Plugin {
  return {
    name: 'embed-dashboard-client',
    async load(id) {
      if (!id.replaceAll('\\', '/').endsWith('/src/collector/dashboard/clientScript.ts')) return null;
      const script = await bundleDashboardClient('src/collector/dashboard/client/app.ts');
      return `const SCRIPT = ${JSON.stringify(script)};\nexport const dashboardClientScript = () => Promise.resolve(SCRIPT);`;
    },
  };
}

/** ESM and CJS of Node entries, each chunk once per format, below `dir`. */
const nodeOutputs = (dir: string, manualChunks?: (id: string) => string | undefined) =>
  (['es', 'cjs'] as const).map((format) => {
    const ext = format === 'es' ? 'mjs' : 'cjs';
    return { dir, format, entryFileNames: `[name].${ext}`, chunkFileNames: `shared/[name]-[hash].${ext}`, manualChunks };
  });
/** One declaration file per module format and entry, so TypeScript resolves both correctly. */
const nodeTypes = (input: Record<string, string>, dir: string): RollupOptions => ({
  input,
  external: (id) => NODE_DEPENDENCIES.test(id),
  plugins: [dts({ tsconfig: './tsconfig.json' })],
  output: (['d.ts', 'd.cts'] as const).map((ext) => ({ dir, format: 'es' as const, entryFileNames: `[name].${ext}`, chunkFileNames: `shared/[name]-[hash].${ext}` })),
});

/** The collector is its own package (packages/collector): its build goes there. */
const COLLECTOR_DIST = 'packages/collector/dist';
const COLLECTOR_ENTRIES = { index: 'src/collector/index.ts', cli: 'src/collector/cli.ts' };
// The SQLite threads load the chunk that holds their module (its own
// import.meta.url): a chunk each keeps fastify and the rest out of the
// threads, and the few small modules they share with the event loop's side
// go into one more chunk, so they do not land in one that imports fastify.
const THREAD_CHUNKS: Record<string, string> = {
  '/src/collector/store/sqliteThreads.ts': 'sqliteWriter',
  '/src/collector/store/sqliteWrites.ts': 'sqliteWriter',
  '/src/collector/store/sqliteWire.ts': 'sqliteWriter',
  '/src/collector/store/sqliteReader.ts': 'sqliteReader',
  '/src/collector/store/drivers.ts': 'threadShared',
  '/src/collector/errors.ts': 'threadShared',
  '/src/node/threads.ts': 'threadShared',
};
const collectorChunks = (id: string) => THREAD_CHUNKS[Object.keys(THREAD_CHUNKS).find((file) => id.replaceAll('\\', '/').endsWith(file)) ?? ''];

// Internal names that start with `_` are mangled away in the browser builds (web-vitals does the same).
const minify = (compress: Record<string, unknown> = {}) =>
  terser({ ecma: 2020, compress: { passes: 3, pure_getters: true, ...compress }, mangle: { properties: { regex: /^_/ } }, format: { comments: false } });

const config: RollupOptions[] = [
  // npm: ESM and CJS, minified like the script-tag build: an app's bundler
  // re-minifies, but it never renames properties, so the `_` names are mangled here.
  // Single-use functions stay functions: inlined, they nest inside the tracker's
  // closure, where an app's esbuild (which never reuses an outer name inside)
  // gives their variables two-letter names (-100 B gzip on the npm path). Nor is a
  // function that takes arguments inlined where it is called (inline: 1): terser
  // then turns the parameter into a `var` (-4 B).
  // The `development` export condition gets the same with the words of every message (Vite and webpack set it in development).
  ...(['production', 'development'] as const).map((mode): RollupOptions => ({
    input: 'src/browser/index.ts',
    plugins: [...(mode === 'production' ? [withoutMessageTexts()] : []), ...compile(), compactDeclarations(), minify({ reduce_funcs: false, inline: 1 })],
    output: (['mjs', 'cjs'] as const).map((ext) => ({ file: `dist/index${mode === 'production' ? '' : '.development'}.${ext}`, format: ext === 'mjs' ? 'es' : 'cjs' })),
  })),
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
  // Script tag, with the words of every message: idstitch.development.min.js.
  ...(['production', 'development'] as const).map((mode): RollupOptions => ({
    input: 'src/browser/global.ts',
    plugins: [nodeResolve({ browser: true }), ...(mode === 'production' ? [withoutMessageTexts()] : []), ...compile(), compactDeclarations(), minify()],
    output: { file: `dist/idstitch${mode === 'production' ? '' : '.development'}.min.js`, format: 'iife', sourcemap: process.env.SOURCEMAP === '1' },
  })),
  // idstitch/server: Node's own modules only.
  {
    input: { 'server/index': 'src/server/index.ts' },
    external: (id) => NODE_DEPENDENCIES.test(id),
    plugins: [embedDeliveryWorker(), ...compileNode()],
    output: nodeOutputs('dist'),
  },
  nodeTypes({ 'server/index': 'src/server/index.ts' }, 'dist'),
  // idstitch-collector: the library and its bin.
  {
    input: COLLECTOR_ENTRIES,
    external: (id) => NODE_DEPENDENCIES.test(id),
    plugins: [embedDashboardClient(), ...compileNode()],
    output: nodeOutputs(COLLECTOR_DIST, collectorChunks),
  },
  nodeTypes({ index: COLLECTOR_ENTRIES.index }, COLLECTOR_DIST),
  {
    input: 'src/browser/snippet.js',
    plugins: [minify()],
    output: { file: 'dist/snippet.min.js', format: 'iife' },
  },
];

export default config;
