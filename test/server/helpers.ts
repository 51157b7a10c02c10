/**
 * Harness for the server integration tests: the real collector on a temp
 * SQLite file over loopback HTTP, app servers on port 0, and polling for
 * what arrives asynchronously.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createCollector, type Collector, type CollectorOptions } from '../../src/collector/index.js';
import type { ServerError } from '../../src/server/index.js';
import { eventually } from '../support/poll.js';

export { eventually };

const dir = mkdtempSync(join(tmpdir(), 'idstitch-server-test-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

export interface RunningCollector {
  collector: Collector;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The batch endpoint. */
  endpoint: string;
  /** GETs a query path over HTTP; returns status and JSON. */
  get<T = any>(path: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** A new collector on a new SQLite file; `port` 0 picks a free one; `options` adds collector options (`writeKeys`, ...). */
export async function startCollector(port = 0, database = join(dir, `store-${++files}.db`), options: CollectorOptions = {}): Promise<RunningCollector> {
  const collector = await createCollector({ ...options, database, port, logLevel: 'silent' });
  const url = await collector.listen();
  return {
    collector,
    url,
    endpoint: `${url}/v1/batch`,
    async get(path) {
      const response = await fetch(url + path);
      return { status: response.status, body: await response.json() };
    },
    close: () => collector.close(),
  };
}

/** Every message the collector stored, oldest first, read from its own store (the query API has no listing of anonymous events). */
export async function storedMessages(running: RunningCollector): Promise<Record<string, any>[]> {
  const rows = await running.collector.store.reader.all<{ body: string }>('SELECT body FROM events ORDER BY seq');
  return rows.map((row) => JSON.parse(row.body) as Record<string, any>);
}

/** Polls the store until `count` messages (matching `filter`) are there; returns them. */
export function storedEventually(running: RunningCollector, count: number, filter: (m: Record<string, any>) => boolean = () => true, timeoutMs?: number) {
  return eventually(async () => {
    const found = (await storedMessages(running)).filter(filter);
    return found.length >= count ? found : undefined;
  }, `${count} stored messages`, timeoutMs);
}

/** A free loopback port (for a collector that starts later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Listens on a loopback port; returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export const closeServer = (server: Server) => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});

/** Every error handed to an `onError`. */
export function errorLog(): { errors: ServerError[]; onError: (error: ServerError) => void; codes(): string[] } {
  const errors: ServerError[] = [];
  return { errors, onError: (error) => void errors.push(error), codes: () => errors.map((e) => e.code) };
}

/** A tiny batch endpoint the test controls: answers each POST with the next of `answers` (then 200), keeping every request. */
export interface ScriptedEndpoint {
  endpoint: string;
  requests: { at: number; headers: IncomingMessage['headers']; body: Buffer }[];
  close(): Promise<void>;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string };

export async function scriptedEndpoint(answers: Answer[] = [], forward?: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<ScriptedEndpoint> {
  const requests: ScriptedEndpoint['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ at: Date.now(), headers: req.headers, body });
      const answer = answers.shift();
      if (!answer && forward) return forward(req, body, res);
      const { status = 200, headers = {}, body: text = '{"ok":true}' } = answer ?? {};
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
    });
  });
  const url = await listen(server);
  return { endpoint: `${url}/v1/batch`, requests, close: () => closeServer(server) };
}
