import { readFileSync } from 'node:fs';

/**
 * `context.library.version`: idstitch's own package.json, found by walking up
 * from this module. Both `src/server/` (run through tsx or vitest) and the
 * compiled `dist/server/` sit below the package root, so the walk finds it
 * without a build-time constant.
 */
function readVersion(): string {
  let dir = new URL('./', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'idstitch' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
    dir = new URL('../', dir);
  }
  return '0.0.0-dev';
}

/** The version of the idstitch package this module belongs to. */
export const VERSION: string = readVersion();
