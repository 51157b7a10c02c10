/**
 * A real, throwaway PostgreSQL server for tests: `initdb` in a fresh temp
 * directory, loopback only on a free port, sockets in that directory, stopped
 * and removed by `stop()`. PostgreSQL refuses to run as root, so as root the
 * server runs as the `postgres` user; otherwise as the current user.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const PG_BIN = process.env.IDSTITCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** Connection URL of the `postgres` database, as superuser. */
  url: string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

let databases = 0;

/** Starts a server; call `stop()` when done (also on failure paths). */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-pg-'));
  const data = join(dir, 'data');
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = { ...(user ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C' } };
  await run(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as);

  let started = false;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freePort();
    // fsync off: the data is thrown away after the test; durability of the collector is tested on its own process.
    const settings = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    try {
      await run(join(PG_BIN, 'pg_ctl'), ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], as);
      started = true;
    } catch (error) {
      if (attempt === 4) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const stop = async () => {
    await run(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], as).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...connectPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`), stop };
}

/**
 * A server that is already running (the one the test run started, see
 * postgresGlobalSetup.ts): fresh databases on it, named after this process so
 * that workers never collide; `stop()` leaves the server to its owner.
 */
export function connectPostgres(url: string): TestPostgres {
  const createDatabase = async () => {
    const name = `t${process.pid}_${++databases}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return url.replace(/\/[^/]*$/, `/${name}`);
  };
  return { url, createDatabase, stop: async () => {} };
}
