/**
 * `createCollector(options)`: the fastify service of README "The collector" on
 * its store, ready to `listen()` and to `close()` cleanly.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { refuseForeignHosts } from './auth.js';
import { HttpError } from './errors.js';
import { resolveOptions, type CollectorOptions, type OptionLabels, type ResolvedOptions } from './options.js';
import { Directory } from './directory.js';
import { Queries } from './query.js';
import { LiveFeed, publishingStore } from './dashboard/liveFeed.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eraseRoutes } from './routes/erase.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { liveRoutes } from './routes/live.js';
import { peopleRoutes } from './routes/people.js';
import { queryRoutes } from './routes/query.js';
import { timeSeriesRoutes } from './routes/timeseries.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

export interface Collector {
  /** The fastify instance (`app.inject()` for tests). */
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly queries: Queries;
  readonly options: ResolvedOptions;
  /** The dashboard's live event log: what this instance stored, as it is stored. */
  readonly live: LiveFeed;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:8787`. */
  listen(): Promise<string>;
  /** Stops taking requests, lets the ones in flight finish, writes what was accepted, closes the store. */
  close(): Promise<void>;
}

function errorAnswer(error: FastifyError | HttpError, bodyLimit: number | undefined): { status: number; reason: string } {
  if (error instanceof HttpError) return { status: error.statusCode, reason: error.reason };
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, reason: `body is larger than ${Math.round((bodyLimit ?? 0) / 1024)} KB` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, reason: 'Content-Length does not match the body' };
    default: {
      const status = error.statusCode ?? 500;
      return status >= 400 && status < 500 ? { status, reason: error.message } : { status: 500, reason: 'internal error' };
    }
  }
}

/** Builds the service on the store the options name (creating or upgrading its schema). */
export async function createCollector(input: CollectorOptions = {}, labels?: OptionLabels): Promise<Collector> {
  const options = resolveOptions(input, labels);
  // The store speaks later, through the logger the app below makes.
  let log: FastifyBaseLogger | undefined;
  const store = await openStore(options.database, {
    poolSize: options.poolSize,
    backlog: { messages: options.maxBacklogMessages, bytes: options.maxBacklogBytes },
    queryTimeoutMs: options.queryTimeoutMs,
    warn: (message, error) => log?.warn({ err: error }, message),
  });
  const queries = new Queries(store.reader, { ...options, dialect: store.kind });
  const app = Fastify({
    logger: { level: options.logLevel },
    // User ids may be up to 255 characters, more once URL-encoded.
    routerOptions: { maxParamLength: 1024 },
  });

  log = app.log;
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, reason } = errorAnswer(error, request.routeOptions.bodyLimit);
    if (status >= 500 && !(error instanceof HttpError)) request.log.error(error);
    if (error instanceof HttpError && error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.code(status).send({ ok: false, reason });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ ok: false, reason: `no route ${request.method} ${request.url.split('?')[0]}` }));

  // While stopping, each answer closes its connection: a keep-alive socket
  // left open would hold close() up for the whole keep-alive timeout.
  let stopping = false;
  app.addHook('onSend', async (_request, reply, payload) => {
    if (stopping) reply.header('connection', 'close');
    return payload;
  });

  const live = new LiveFeed();
  app.addHook('onClose', async () => live.stop());

  // Ingest and erasure go through the live feed: what one stores appears there, what the other erases leaves it.
  const published = publishingStore(store, live);
  await app.register(healthRoutes, { store });
  await app.register(ingestRoutes, {
    store: published, writeKeys: options.writeKeys, serverWriteKeys: options.serverWriteKeys, identitySecrets: options.identitySecrets,
  });
  // Everything that reads, in one context whose requests must name this machine (DNS rebinding, src/collector/auth.ts).
  await app.register(async (reads) => {
    refuseForeignHosts(reads, options);
    await reads.register(queryRoutes, { queries, dashboardToken: options.dashboardToken });
    await reads.register(peopleRoutes, { directory: new Directory(store.reader), queries, reader: store.reader, dashboardToken: options.dashboardToken });
    await reads.register(eraseRoutes, { store: published, dashboardToken: options.dashboardToken });
    await reads.register(timeSeriesRoutes, { reader: store.reader, dashboardToken: options.dashboardToken });
    await reads.register(liveRoutes, { feed: live, dashboardToken: options.dashboardToken });
    await reads.register(dashboardRoutes, { dashboardToken: options.dashboardToken });
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    queries,
    options,
    live,
    listen: () => app.listen({ host: options.host, port: options.port }),
    close: () => {
      stopping = true;
      return (closing ??= app.close().then(() => store.close()));
    },
  };
}
