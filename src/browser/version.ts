declare const __IDSTITCH_VERSION__: string;

/** `context.library.version`: package.json's version, put in by the build (and by vitest's `define`). */
export const VERSION: string = typeof __IDSTITCH_VERSION__ === 'string' ? __IDSTITCH_VERSION__ : '0.0.0-dev';
