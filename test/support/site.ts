import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };
/** Only these folders of the repo are served: the build and the SDK's two browser dependencies. */
const SERVED = ['dist/', 'node_modules/uuid/', 'node_modules/js-cookie/'];

/**
 * A loopback web server for the browser tests: serves the built SDK from
 * `dist/` and pages the tests register. Reached as `http://a.example.test:PORT`
 * through Chromium's host-resolver rule, so cookies behave as on a real site.
 */
export interface Site {
  port: number;
  /** `http://<host>:<port>`; host defaults to `a.example.test`. */
  origin(host?: string): string;
  /**
   * Serves `html` at `path` (on every host), `no-store` unless `cacheable`: Chromium keeps no `no-store`
   * page in its back/forward cache.
   */
  setPage(path: string, html: string, cacheable?: boolean): void;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const pages = new Map<string, [html: string, cacheable?: boolean]>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const page = pages.get(path);
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': page[1] ? 'no-cache' : 'no-store' });
      res.end(page[0]);
      return;
    }
    const file = normalize(path.slice(1));
    if (!SERVED.some((prefix) => file.startsWith(prefix))) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(ROOT, file)).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: (host = 'a.example.test') => `http://${host}:${port}`,
    setPage: (path, html, cacheable) => void pages.set(path, [html, cacheable]),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The import map that lets an ES module page load `dist/index.mjs` with its bare imports. */
export const IMPORT_MAP = `<script type="importmap">${JSON.stringify({
  imports: { uuid: '/node_modules/uuid/dist/esm-browser/index.js', 'js-cookie': '/node_modules/js-cookie/dist/js.cookie.mjs' },
})}</script>`;
