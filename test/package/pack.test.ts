import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
let dir: string;
let tarball: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idstitch-pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  tarball = join(dir, name);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('publint finds nothing to fix in the packed tarball', () => {
  const out = execFileSync(bin('publint'), ['run', tarball, '--strict'], { cwd: ROOT, encoding: 'utf8' });
  expect(out).toMatch(/All good/);
});

it('arethetypeswrong finds no type resolution problem in the packed tarball', () => {
  // Every problem attw reports, except in the legacy node10 resolution, which cannot see subpath
  // exports at all (attw's own node16 profile ignores it too).
  const report = JSON.parse(
    execFileSync(bin('attw'), [tarball, '--format', 'json', '--profile', 'node16'], { cwd: ROOT, encoding: 'utf8' }),
  ) as { problems: Record<string, { kind: string; entrypoint: string; resolutionKind?: string }[]> };
  const problems = Object.values(report.problems).flat().filter((problem) => problem.resolutionKind !== 'node10');
  expect(problems).toEqual([]);
});
