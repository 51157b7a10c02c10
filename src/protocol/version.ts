declare const __IDSTITCH_VERSION__: string;

/**
 * `context.library.version` of the browser SDK and `idstitch/server`:
 * package.json's version, put in by the build (and by vitest's `define`), so
 * an app's own bundler cannot make it read some other package.json. Run from
 * source without either (tsx), it is `0.0.0-dev`.
 */
export const VERSION: string = typeof __IDSTITCH_VERSION__ === 'string' ? __IDSTITCH_VERSION__ : '0.0.0-dev';
