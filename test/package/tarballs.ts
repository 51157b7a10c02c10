import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The repo's two packages: the SDK (with idstitch/server) at the root, the collector in its own folder. */
export const PACKAGES = { idstitch: '.', 'idstitch-collector': 'packages/collector' } as const;
export type PackageName = keyof typeof PACKAGES;

/** `npm pack` of one package of the repo into `dir`; returns the tarball's path. */
export function pack(name: PackageName, dir: string): string {
  const workspace = PACKAGES[name] === '.' ? [] : ['--workspace', PACKAGES[name]];
  const out = execFileSync('npm', ['pack', '--silent', ...workspace, '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  return join(dir, out.trim().split('\n').pop()!);
}
