/**
 * `GET /v1/live`: the live event log as Server-Sent Events (text/event-stream),
 * pushed as batches are stored; behind the dashboard token like the query API
 * (`?token=`, since EventSource cannot send headers).
 *
 * Messages: `event: events` with a JSON array of {@link LiveEvent}s (the
 * recent ones first, on connect), and `event: dropped` with a count when a
 * burst was larger than a flush carries or the viewer reads too slowly.
 */
import type { FastifyInstance } from 'fastify';
import type { LiveEvent, LiveFeed } from '../dashboard/liveFeed.js';
import { requireToken } from './query.js';

/** A comment line now and then keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 25_000;
/** A viewer with this much unsent data skips flushes until it catches up. */
const MAX_BUFFERED = 1 << 20;

export async function liveRoutes(app: FastifyInstance, options: { feed: LiveFeed; dashboardToken: string | null }): Promise<void> {
  const { feed } = options;
  requireToken(app, options.dashboardToken);
  const open = new Set<() => void>();

  // Streams never end on their own: close them first, or close() would wait for them.
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get('/v1/live', (_request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Tells buffering proxies (nginx) to pass each message on at once.
      'x-accel-buffering': 'no',
    });
    out.write('retry: 2000\n\n');

    let skipped = 0;
    const send = (events: LiveEvent[], dropped: number) => {
      if (out.writableLength > MAX_BUFFERED) {
        skipped += events.length + dropped;
        return;
      }
      if (dropped + skipped > 0) out.write(`event: dropped\ndata: ${dropped + skipped}\n\n`);
      skipped = 0;
      if (events.length) out.write(`event: events\ndata: ${JSON.stringify(events)}\n\n`);
    };
    const heartbeat = setInterval(() => out.write(': heartbeat\n\n'), HEARTBEAT_MS).unref();
    const unsubscribe = feed.subscribe(send);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      out.end();
    };
    open.add(end);
    out.on('close', end);
  });
}
