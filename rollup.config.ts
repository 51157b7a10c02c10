import { readFileSync } from 'node:fs';
import nodeResolve from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import type { RollupOptions } from 'rollup';
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

// Internal names that start with `_` are mangled away in the script-tag build (web-vitals does the same).
const minify = () =>
  terser({ ecma: 2020, compress: { passes: 3, pure_getters: true }, mangle: { properties: { regex: /^_/ } }, format: { comments: false } });

const config: RollupOptions[] = [
  // npm: ESM and CJS, dependencies left to the app's bundler.
  {
    input: 'src/browser/index.ts',
    external: ['uuid'],
    plugins: compile(),
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
  {
    input: 'src/browser/snippet.js',
    plugins: [minify()],
    output: { file: 'dist/snippet.min.js', format: 'iife' },
  },
];

export default config;
