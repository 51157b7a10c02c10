/**
 * What `npm start` runs: the collector on its SQLite file and the example API
 * server with the two example sites, wired together. `scripts/start.mjs`
 * calls it with the defaults; the e2e tests call it on free ports and a
 * temporary database.
 */
import { randomBytes } from 'node:crypto';
import { createCollector, type Collector } from '../src/collector/index.js';
import type { ServerError } from '../src/server/index.js';
import { startExampleServer, type ExampleServer } from './api-server.js';

export interface StackOptions {
  /** @default 8787; 0 picks a free port */
  collectorPort?: number;
  /** @default 8788; 0 picks a free port */
  examplesPort?: number;
  /** The collector's store. @default './idstitch.db' */
  database?: string;
  /** Flush interval in ms of the pages' trackers and the API's server client. @default 1000 */
  flushInterval?: number;
  /** Errors of the example API's idstitch client. @default printed to stderr */
  onError?: (error: ServerError) => void;
  /** The collector's identity secret (verification on); null: verification off. @default a new random one */
  identitySecret?: string | null;
}

export interface Stack {
  collector: Collector;
  examples: ExampleServer;
  /** The identity secret the collector verifies with and the example API signs with; null when off. */
  identitySecret: string | null;
  /** What to open, by name; `docsElsewhere` is the docs on a second host name (localhost), whose links to the app carry the visitor across. */
  urls: { examples: string; docs: string; docsElsewhere: string; app: string; dashboard: string; ingest: string; stats: string };
  /** Stops the example server (sending its last API calls), then the collector (storing all it accepted). */
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Verification on, as a real deployment should run: the example API signs each login, and its own
  // API calls go under a server write key. Both are made anew unless given.
  const identitySecret = options.identitySecret === undefined ? randomBytes(32).toString('base64url') : options.identitySecret;
  const serverWriteKey = randomBytes(24).toString('base64url');
  const collector = await createCollector({
    port: options.collectorPort ?? 8787, database: options.database ?? './idstitch.db', logLevel: 'warn',
    ...(identitySecret ? { identitySecrets: [identitySecret], serverWriteKeys: [serverWriteKey] } : {}),
  });
  const collectorUrl = await collector.listen();
  let examples: ExampleServer;
  try {
    examples = await startExampleServer({
      endpoint: `${collectorUrl}/v1/batch`,
      port: options.examplesPort ?? 8788,
      ...(options.flushInterval ? { flushInterval: options.flushInterval } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(identitySecret ? { identitySecret, serverWriteKey } : {}),
    });
  } catch (error) {
    await collector.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    collector,
    examples,
    identitySecret,
    urls: {
      examples: `${examples.url}/`,
      docs: `${examples.url}/docs/`,
      docsElsewhere: `http://localhost:${examples.port}/docs/`,
      app: `${examples.url}/app/`,
      dashboard: `${collectorUrl}/`,
      ingest: `${collectorUrl}/v1/batch`,
      stats: `${collectorUrl}/v1/stats`,
    },
    close: () => (closing ??= examples.close().then(() => collector.close())),
  };
}
