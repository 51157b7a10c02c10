/**
 * The real `idstitch-collector` as a child process (`node --import tsx
 * src/collector/cli.ts`), for tests of signals, crashes and the command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'src/collector/cli.ts';

export interface CliProcess {
  child: ChildProcess;
  /** Base URL from the "listening on" line. */
  url: string;
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the CLI to completion (for flags that make it exit). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the CLI and waits until it prints its URL. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`collector exited before listening:\n${output}`));
    });
  });
}

/** A batch of `size` track messages with fresh ids. */
export function trackBatch(size: number, anonymousId = `load-${randomUUID()}`) {
  return Array.from({ length: size }, (_, i) => ({
    type: 'track', messageId: randomUUID(), anonymousId, event: `Load ${i}`, properties: { i },
    timestamp: new Date().toISOString(), context: { library: { name: 'idstitch', version: '0.1.0' } },
  }));
}

/** POSTs a batch over real HTTP; resolves with the status, or null when the connection failed. */
export async function postBatch(url: string, batch: unknown[]): Promise<number | null> {
  try {
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/** Every stored `message_id`, read straight from the database after the collector stopped. */
export async function storedMessageIds(database: string): Promise<string[]> {
  if (database.startsWith('postgres')) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      return (await client.query('SELECT message_id FROM idstitch.events')).rows.map((r: { message_id: string }) => r.message_id);
    } finally {
      await client.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare('SELECT message_id FROM events').all() as { message_id: string }[]).map((r) => r.message_id);
  } finally {
    db.close();
  }
}

/** One sent batch and its answer (null: the connection failed). */
export interface Sent {
  batch: ReturnType<typeof trackBatch>;
  status: number | null;
}

/**
 * Steady load: `workers` loops each POSTing 20-message batches one after the
 * other until `stop()` is called or a request fails. Resolves with every batch sent.
 */
export function steadyLoad(url: string, workers = 8): { stop(): void; sent: Sent[]; done: Promise<Sent[]> } {
  const sent: Sent[] = [];
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      const batch = trackBatch(20);
      const status = await postBatch(url, batch);
      sent.push({ batch, status });
      if (status !== 200) return;
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => sent);
  return { stop: () => { stopped = true; }, sent, done };
}
