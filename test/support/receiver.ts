import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Batch, Message } from '../../src/protocol/messages.js';

/**
 * A loopback batch endpoint that keeps every body it receives, for tests
 * that check what the SDK put on the wire (CORS included, as a browser needs).
 */
export interface Receiver {
  endpoint: string;
  batches: Batch[];
  /** Every message received, in arrival order. */
  messages(): Message[];
  /** Resolves once `count` messages have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Message[]>;
  /** Content types of the POSTs, in order. */
  contentTypes: string[];
  /**
   * Forgets what arrived. `ignoreBefore` (ms): from now on, messages made before it are not counted, for a
   * test whose predecessor's page may still deliver a copy of its last message (a beacon at close, at least
   * once by design) after it was cleared.
   */
  clear(ignoreBefore?: number): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const batches: Batch[] = [];
  const contentTypes: string[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST' };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.push(req.headers['content-type'] ?? '');
      try {
        batches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Batch);
        res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{"ok":true}');
      } catch {
        res.writeHead(400, cors).end('{"ok":false}');
      }
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let ignoreBefore = 0;
  const messages = () => batches.flatMap((b) => b.batch).filter((m) => !ignoreBefore || Date.parse(m.timestamp!) >= ignoreBefore);
  return {
    endpoint: `http://127.0.0.1:${port}/v1/batch`,
    batches,
    contentTypes,
    messages,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages().length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(messages());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages, received ${messages().length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    clear(before = 0) {
      ignoreBefore = before;
      batches.length = 0;
      contentTypes.length = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
