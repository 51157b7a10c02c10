import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy did with one request. */
export interface ProxiedRequest {
  method: string;
  /** When the request arrived (ms, `performance.now()` of this process). */
  at: number;
  /** The status the browser got, 0 when it got none (dropped). */
  status: number;
  /** `forwarded` to the collector, answered with a `fault`, `dropped` because the browser left while it was held, or still `pending`. */
  outcome: 'pending' | 'forwarded' | 'fault' | 'dropped';
  /** messageIds of the batch in the body (empty for a preflight or an unreadable body). */
  messageIds: string[];
}

/**
 * A loopback HTTP proxy in front of the real collector that the test can
 * turn faulty: answer the next requests with a status (500, 429 with
 * Retry-After), hold them (the browser may leave meanwhile: the request is
 * then lost, never forwarded), or refuse connections altogether. Whatever it
 * forwards is stored by the collector, so what the test reads back is real.
 *
 * Fault answers carry the collector's own headers (CORS included): the proxy
 * sends the collector an empty `{}` body, which it refuses (400, nothing
 * stored), and keeps its headers with the fault's status. So a header the
 * collector forgets to expose is missing here too.
 */
export interface FaultProxy {
  /** The batch endpoint through the proxy. */
  endpoint: string;
  requests: ProxiedRequest[];
  /** The POSTs, in arrival order. */
  posts(): ProxiedRequest[];
  /** The next `times` POSTs are answered `status`, with `headers` added. */
  failNext(times: number, status: number, headers?: Record<string, string>): void;
  /** The next `times` POSTs are held `ms` before they are forwarded (dropped if the browser left meanwhile). */
  holdNext(times: number, ms: number): void;
  /** Stops listening and cuts open connections: the browser meets "connection refused". */
  down(): Promise<void>;
  /** Listens again, on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Hop-by-hop headers are the connection's, not the message's (RFC 9110 §7.6.1). */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

const endToEnd = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP.has(name)));

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function messageIdsOf(body: Buffer): string[] {
  try {
    const batch = (JSON.parse(body.toString('utf8')) as { batch?: { messageId?: unknown }[] }).batch;
    return Array.isArray(batch) ? batch.map((m) => String(m?.messageId)) : [];
  } catch {
    return [];
  }
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const faults: ({ kind: 'status'; status: number; headers: Record<string, string> } | { kind: 'hold'; ms: number })[] = [];

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...endToEnd(req.headers), 'content-length': String(body.length) } },
        (answer) => void readBody(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject),
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = performance.now();
    let left = false;
    res.on('close', () => (left = !res.writableFinished));
    const body = await readBody(req);
    const record: ProxiedRequest = { method: req.method ?? '', at, status: 0, outcome: 'pending', messageIds: messageIdsOf(body) };
    requests.push(record);
    const fault = req.method === 'POST' ? faults.shift() : undefined;
    if (fault?.kind === 'hold') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (left) {
        record.outcome = 'dropped';
        return;
      }
    }
    try {
      if (fault?.kind === 'status') {
        const answer = await forward(req, Buffer.from('{}'));
        record.outcome = 'fault';
        record.status = fault.status;
        res.writeHead(fault.status, { ...endToEnd(answer.headers), ...fault.headers, 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, reason: `fault proxy: ${fault.status}` }));
        return;
      }
      const answer = await forward(req, body);
      record.outcome = 'forwarded';
      record.status = answer.status;
      res.writeHead(answer.status, endToEnd(answer.headers));
      res.end(answer.body);
    } catch {
      record.outcome = 'dropped';
      record.status = 502;
      if (!left) res.writeHead(502).end();
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    endpoint: `http://127.0.0.1:${port}/v1/batch`,
    requests,
    posts: () => requests.filter((r) => r.method === 'POST'),
    failNext(times, status, headers = {}) {
      for (let i = 0; i < times; i++) faults.push({ kind: 'status', status, headers });
    },
    holdNext(times, ms) {
      for (let i = 0; i < times; i++) faults.push({ kind: 'hold', ms });
    },
    down: stop,
    up: () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    }),
    close: stop,
  };
}
