/**
 * Server middleware benchmark (not a test): `node --import tsx bench/server.ts [flags]`
 *
 * Requests/s of one Express 5 route and one Fastify 5 route, each served
 * plain and with idstitch (`idstitchMiddleware` / `idstitchFastify`, a sync
 * `identifyUser`, the SDK cookie on every request, the client delivering to
 * a real collector), all in the same run. The four apps share one process;
 * autocannon runs in this one and the collector in a third, so the load
 * generator and the collector's ingest do not share the apps' event loop.
 * Each pair is measured in both orders (plain first, then idstitch first) and
 * averaged, so warm-up and thermal drift favour neither. Goal: ≤ 5 % loss.
 *
 * `--sink null` swaps the collector for a bare node:http endpoint that
 * answers 200 without parsing, to see the middleware's own cost apart from
 * the collector's ingest (on a small machine they share the CPU cores).
 *
 * `--db-ms N[,N…]` makes the routes wait N ms before answering, as a route
 * that queries a database does, one measurement per value. The default,
 * `2,0`, measures such a route and then a no-op one, where any per-request
 * work shows at its largest.
 *
 * `--prof-apps DIR` writes a V8 CPU profile of the apps' process to DIR
 * (open it in Chrome DevTools or read its self times) to see where the
 * per-request µs go.
 *
 * `--thread off` runs the client's delivery on the apps' event loop (the
 * client option `thread: false`) instead of on its worker thread.
 *
 * Flags: --duration S [5]  --connections N [10]  --rounds N [4: both orders twice]
 *        --sink collector|null [collector]  --db-ms N[,N…] [2,0]  --thread on|off [on]  --prof-apps DIR [none]
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import express, { type Request, type Response } from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createCollector } from '../src/collector/index.js';
import { anonymousIdCookieName } from '../src/protocol/storageKeys.js';
import { createServerClient, idstitchFastify, idstitchMiddleware, type DeliveryStats } from '../src/server/index.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    'serve-apps': { type: 'string' },
    'serve-collector': { type: 'string' },
    sink: { type: 'string', default: 'collector' },
    'db-ms': { type: 'string', default: '2,0' },
    thread: { type: 'string', default: 'on' },
    'prof-apps': { type: 'string' },
  },
});

type Target = 'express' | 'express+idstitch' | 'fastify' | 'fastify+idstitch';
const PAIRS: [Target, Target][] = [['express', 'express+idstitch'], ['fastify', 'fastify+idstitch']];
const HEADERS = { 'x-user': 'u_bench', cookie: `session=abc; ${anonymousIdCookieName(undefined)}=0b6f8c1e-3d2a-4f5b-9c7d-1e2f3a4b5c6d` };
/** In an apps child: how long its routes wait. */
const DB_MS = Number(flags['db-ms']);
const body = async (id: string) => {
  if (DB_MS) await new Promise((resolve) => setTimeout(resolve, DB_MS));
  return { id, name: 'Ada', plan: 'team' };
};

/** Child: a sink that answers every POST with 200 without reading what it got. */
async function serveNullSink(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  process.on('message', () => process.send!({ stats: { events: Number.NaN } }, () => process.exit(0)));
}

/** Child: the collector on a temp SQLite file. */
async function serveCollector(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-bench-'));
  const collector = await createCollector({ database: join(dir, 'bench.db'), port: 0, logLevel: 'silent' });
  const url = await collector.listen();
  process.send!({ url });
  process.on('message', async () => {
    const stats = await collector.queries.stats();
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
    process.send!({ stats }, () => process.exit(0));
  });
}

/** Child: the four apps, one client. */
async function serveApps(endpoint: string): Promise<void> {
  let errors = 0;
  const client = createServerClient({ endpoint, thread: flags.thread !== 'off', onError: () => void errors++ });
  const identifyUser = (req: { headers: Record<string, unknown> }) => req.headers['x-user'] as string | undefined;
  const ports: Partial<Record<Target, number>> = {};

  for (const withIdstitch of [false, true]) {
    const app = express();
    if (withIdstitch) app.use(idstitchMiddleware<Request, Response>({ client, identifyUser }));
    app.get('/users/:id', async (req, res) => void res.json(await body(req.params.id)));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports[withIdstitch ? 'express+idstitch' : 'express'] = (server.address() as AddressInfo).port;

    const fastify = Fastify({ logger: false });
    if (withIdstitch) await fastify.register(idstitchFastify, { client, identifyUser: identifyUser as (req: FastifyRequest, res: FastifyReply) => string | undefined });
    fastify.get<{ Params: { id: string } }>('/users/:id', async (request) => body(request.params.id));
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    ports[withIdstitch ? 'fastify+idstitch' : 'fastify'] = (fastify.server.address() as AddressInfo).port;
  }
  process.send!({ ports });
  process.on('message', async (message) => {
    if (message === 'cpu') return void process.send!({ cpu: process.cpuUsage() });
    await client.close();
    process.send!({ stats: client.stats(), errors }, () => process.exit(0));
  });
}

/** Forks this script in a child mode; resolves with its first message. */
function child<T>(args: string[], execArgv: string[] = []): Promise<{ process: ChildProcess; first: T }> {
  const proc = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...execArgv] });
  return new Promise((resolve, reject) => {
    proc.once('message', (first) => resolve({ process: proc, first: first as T }));
    proc.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

const ask = <T>(proc: ChildProcess, question = 'done'): Promise<T> => new Promise((resolve) => {
  proc.once('message', (answer) => resolve(answer as T));
  proc.send(question);
});
const appsCpu = async (proc: ChildProcess) => {
  const { cpu } = await ask<{ cpu: NodeJS.CpuUsage }>(proc, 'cpu');
  return cpu.user + cpu.system;
};

async function load(port: number, duration: number, connections: number): Promise<{ rps: number; non2xx: number; errors: number; requests: number }> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/users/42`, connections, duration, headers: HEADERS });
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors + result.timeouts, requests: result.requests.total };
}

/** Runs the four apps with routes that wait `dbMs` through `rounds` rounds; returns the idstitch requests measured and the apps' delivery counters. */
async function measureRoute(dbMs: number, collectorUrl: string): Promise<{ served: number; failures: number; delivery: { stats: DeliveryStats; errors: number } }> {
  const duration = Number(flags.duration);
  const connections = Number(flags.connections);
  const rounds = Number(flags.rounds);
  const profile = flags['prof-apps'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['prof-apps']}`] : [];
  const apps = await child<{ ports: Record<Target, number> }>(['--serve-apps', `${collectorUrl}/v1/batch`, '--db-ms', String(dbMs), '--thread', flags.thread], profile);
  const { ports } = apps.first;

  console.log(`\n== route: ${dbMs ? `waits ${dbMs} ms, as one that queries a database` : 'no-op (the worst case)'} ==`);
  // Warm-up: JIT and connection pools, not measured.
  for (const target of Object.keys(ports) as Target[]) await load(ports[target], 1, connections);

  const samples: Record<Target, number[]> = { express: [], 'express+idstitch': [], fastify: [], 'fastify+idstitch': [] };
  /** CPU µs the apps' process spent per request: steadier than req/s on a machine shared with other work. */
  const cpuPerRequest: Record<Target, number[]> = { express: [], 'express+idstitch': [], fastify: [], 'fastify+idstitch': [] };
  let failures = 0;
  let served = 0;
  for (let round = 0; round < rounds; round++) {
    for (const pair of PAIRS) {
      const order = round % 2 === 0 ? pair : [pair[1], pair[0]];
      for (const target of order) {
        const cpuBefore = await appsCpu(apps.process);
        const run = await load(ports[target], duration, connections);
        cpuPerRequest[target].push((await appsCpu(apps.process) - cpuBefore) / run.requests);
        samples[target].push(run.rps);
        failures += run.non2xx + run.errors;
        if (target.endsWith('+idstitch')) served += run.requests;
        console.log(`  round ${round + 1}  ${target.padEnd(17)} ${run.rps.toFixed(0).padStart(7)} req/s  ${cpuPerRequest[target].at(-1)!.toFixed(1).padStart(6)} µs CPU/request`);
      }
    }
  }

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  console.log('\n| app | plain req/s | with idstitch req/s | loss | plain µs CPU/req | with idstitch µs CPU/req | added µs |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [plain, withIt] of PAIRS) {
    const [a, b] = [mean(samples[plain]), mean(samples[withIt])];
    const [ca, cb] = [mean(cpuPerRequest[plain]), mean(cpuPerRequest[withIt])];
    console.log(`| ${plain} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(((a - b) / a) * 100).toFixed(1)} % | ${ca.toFixed(1)} | ${cb.toFixed(1)} | ${(cb - ca).toFixed(1)} |`);
  }
  const delivery = await ask<{ stats: DeliveryStats; errors: number }>(apps.process);
  return { served, failures, delivery };
}

async function main(): Promise<void> {
  const routes = flags['db-ms'].split(',').map(Number);
  const collector = await child<{ url: string }>(['--serve-collector', flags.sink === 'null' ? 'null' : 'collector']);
  console.log(`idstitch/server benchmark: ${flags.connections} connections × ${flags.duration} s per run, ${flags.rounds} rounds (alternating order), sink: ${flags.sink}, delivery thread: ${flags.thread}, Node ${process.version}. Goal: ≤ 5 % loss.`);
  let failures = 0;
  let served = 0;
  const sent = { sent: 0, dropped: 0, refused: 0, errors: 0 };
  for (const dbMs of routes) {
    const route = await measureRoute(dbMs, collector.first.url);
    failures += route.failures;
    served += route.served;
    sent.sent += route.delivery.stats.sent;
    sent.dropped += route.delivery.stats.dropped;
    sent.refused += route.delivery.stats.refused;
    sent.errors += route.delivery.errors;
  }
  const stored = await ask<{ stats: { events: number } }>(collector.process);
  console.log(`\nnon-2xx or errors under load: ${failures}`);
  console.log(`API calls recorded by idstitch (incl. warm-up): sent ${sent.sent}, dropped ${sent.dropped}, refused ${sent.refused}, onError ${sent.errors}; the collector stored ${stored.stats.events} events; measured idstitch requests ${served}`);
}

if (flags['serve-collector'] === 'null') await serveNullSink();
else if (flags['serve-collector']) await serveCollector();
else if (flags['serve-apps']) await serveApps(flags['serve-apps']);
else await main();
