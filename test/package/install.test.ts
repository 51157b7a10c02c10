/**
 * Both packed tarballs installed the way a user installs them: each into an
 * empty project, from the registry, with npm's defaults.
 *
 * - `idstitch` brings exactly itself (it has no dependency): no install script, no native
 *   module, under 1 MB; the SDK and `idstitch/server` load both ways, and the
 *   server integration delivers to a real collector with nothing more.
 * - `idstitch-collector` brings fastify, better-sqlite3 and pg; its bin
 *   starts and answers `/healthz`; its library loads both ways and opens a
 *   store, loading only that store's driver.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCollector, type LocalCollector } from '../support/collector.js';
import { expectDelivered } from './delivered.js';
import { collectorSteps, LOADERS, runNode, serverSteps } from './steps.js';
import { pack, ROOT, type PackageName } from './tarballs.js';

const work = mkdtempSync(join(tmpdir(), 'idstitch-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An empty project with `name`'s tarball installed; returns its folder. */
async function installInEmptyProject(name: PackageName): Promise<string> {
  const project = join(work, name);
  rmSync(project, { recursive: true, force: true });
  const tarball = pack(name, work);
  await runNode('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `try-${name}`, version: '1.0.0', private: true }));
  if (name === 'idstitch-collector') {
    // better-sqlite3's install script compiles it from source here (no prebuilt binary can be fetched): two
    // to three minutes of CI for every run. The script is skipped and the binary the repo's own install built
    // (same package version, same Node) is put where the script would have put it; the rest is npm's own install.
    await runNode('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project, timeout: 600_000 });
    const built = join(ROOT, 'node_modules/better-sqlite3/build');
    const installed = join(project, 'node_modules/better-sqlite3');
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(version(installed)).toBe(version(join(ROOT, 'node_modules/better-sqlite3')));
    cpSync(built, join(installed, 'build'), { recursive: true });
  } else {
    await runNode('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project, timeout: 600_000 });
  }
  return project;
}

/** Every package below node_modules (scoped ones as `@scope/name`), with its package.json. */
function installedPackages(project: string): Map<string, { scripts?: Record<string, string>; gypfile?: boolean }> {
  const found = new Map();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(dir, entry))) visit(join(dir, entry, scoped), `${entry}/${scoped}`);
      } else visit(join(dir, entry), entry);
    }
  };
  const visit = (dir: string, name: string) => {
    found.set(name, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
    walk(join(dir, 'node_modules'));
  };
  walk(join(project, 'node_modules'));
  return found;
}

/** Files below `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe('npm install <idstitch tarball> in an empty project', () => {
  let project: string;
  let collector: LocalCollector;
  beforeAll(async () => {
    project = await installInEmptyProject('idstitch');
    collector = await startLocalCollector();
  }, 300_000);
  afterAll(() => collector?.close());

  it('installs exactly idstitch, with no install script and no native module, under 1 MB', () => {
    const packages = installedPackages(project);
    expect([...packages.keys()].sort()).toEqual(['idstitch']);
    for (const [name, manifest] of packages) {
      expect({ name, scripts: Object.keys(manifest.scripts ?? {}).filter((script) => /^(pre|post)?install$/.test(script)) }).toEqual({ name, scripts: [] });
      expect(manifest.gypfile ?? false).toBe(false);
    }
    const all = files(join(project, 'node_modules'));
    expect(all.filter((file) => file.endsWith('.node') || file.endsWith('binding.gyp'))).toEqual([]);
    const bytes = all.reduce((sum, file) => sum + statSync(file).size, 0);
    console.log(`idstitch install: ${packages.size} packages, ${bytes} B in node_modules`);
    expect(bytes).toBeLessThan(1024 * 1024);
  });

  it.each([
    ['esm', ['--input-type=module', '-e'], "const sdk = await import('idstitch');"],
    ['cjs', ['-e'], "const sdk = require('idstitch');"],
  ] as const)('the SDK loads as %s and gives an inert tracker in Node', async (_name, flags, load) => {
    const { stdout } = await runNode(process.execPath, [...flags, `${load} const t = sdk.createTracker({ endpoint: 'https://c.example.com/v1/batch' }); t.track('x'); console.log(JSON.stringify({ keys: Object.keys(sdk).sort(), anonymousId: t.getAnonymousId() }));`], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ keys: ['IdstitchError', 'autoPage', 'createTracker', 'linker'], anonymousId: null });
  });

  it.each(LOADERS('idstitch/server'))('idstitch/server as %s delivers to the collector with nothing more installed', async (run, flags, load) => {
    const { stdout } = await runNode(process.execPath, [...flags, serverSteps(flags, load, `${collector.url}/v1/batch`, `installed-${run}`)], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ errors: [], stats: { queued: 0, sent: 2, dropped: 0, refused: 0 } });
    const { version } = JSON.parse(readFileSync(join(project, 'node_modules/idstitch/package.json'), 'utf8')) as { version: string };
    await expectDelivered(collector, `installed-${run}`, version);
  });
});

describe('npm install <idstitch-collector tarball> in an empty project', () => {
  let project: string;
  beforeAll(async () => {
    project = await installInEmptyProject('idstitch-collector');
  }, 600_000);

  it('installs the collector with its own dependencies, and not the SDK', () => {
    const packages = installedPackages(project);
    for (const name of ['idstitch-collector', 'fastify', 'better-sqlite3', 'pg']) expect(packages.has(name), name).toBe(true);
    expect(packages.has('idstitch')).toBe(false);
    expect(packages.has('uuid')).toBe(false);
  });

  it('npx idstitch-collector --port 0 starts and answers /healthz', async () => {
    const child = spawn('npx', ['idstitch-collector', '--port', '0', '--database', join(project, 'bin.db')], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk;
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.stderr.on('data', (chunk: Buffer) => (out += chunk));
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const response = await fetch(`${url}/healthz`);
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { ok: true } });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it.each(LOADERS('idstitch-collector'))('the library as %s stores a batch, loading only the SQLite driver', async (name, flags, load) => {
    const { stdout } = await runNode(process.execPath, [...flags, collectorSteps(flags, load, join(project, `${name}.db`))], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ status: 200, eventCount: 2, anonymousIds: ['a1'], atImport: [], loaded: ['better-sqlite3'] });
  });
});
