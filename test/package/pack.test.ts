/** The packed tarballs of both packages, as a registry would get them: publint and arethetypeswrong find nothing. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { pack, PACKAGES, ROOT, type PackageName } from './tarballs.js';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'idstitch-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const names = Object.keys(PACKAGES) as PackageName[];
const tarballs = Object.fromEntries(names.map((name) => [name, pack(name, dir)])) as Record<PackageName, string>;

it.each(names)('publint finds nothing to fix in %s', (name) => {
  const out = execFileSync(bin('publint'), ['run', tarballs[name], '--strict'], { cwd: ROOT, encoding: 'utf8' });
  expect(out).toMatch(/All good/);
});

it.each(names)('arethetypeswrong, default profile (node10 included), finds no problem in %s', (name) => {
  // attw exits non-zero on any problem; the JSON report names them when it does.
  const report = JSON.parse(execFileSync(bin('attw'), [tarballs[name], '--format', 'json'], { cwd: ROOT, encoding: 'utf8' })) as {
    problems?: Record<string, unknown[]>;
    analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
  };
  expect(Object.values(report.problems ?? {}).flat()).toEqual([]);
  // It really looked: every entry point under every resolution, node10 among them.
  for (const entrypoint of Object.values(report.analysis.entrypoints)) expect(Object.keys(entrypoint.resolutions)).toContain('node10');
});

it('both packages carry the same version', () => {
  const version = (name: PackageName) => /-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(tarballs[name])![1];
  expect(version('idstitch-collector')).toBe(version('idstitch'));
});
