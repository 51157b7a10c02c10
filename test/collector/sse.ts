/**
 * A reader of the collector's live stream (`GET /v1/live`, Server-Sent
 * Events) for tests: collects the `events` and `dropped` messages as they
 * arrive over real HTTP.
 */
import type { LiveEvent } from '../../src/collector/dashboard/liveFeed.js';

export interface LiveReader {
  status: number;
  contentType: string | null;
  events: LiveEvent[];
  dropped: number;
  /** Resolves `'ended'` when the server ends the stream, `'aborted'` when {@link close} or the network does. */
  ended: Promise<'ended' | 'aborted'>;
  /** Resolves once `predicate` holds for the events received (checked every 20 ms), rejects after `ms`. */
  until(predicate: (events: LiveEvent[]) => boolean, ms?: number): Promise<void>;
  close(): void;
}

export async function readLive(url: string, headers: Record<string, string> = {}): Promise<LiveReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  let ended!: (how: 'ended' | 'aborted') => void;
  const reader: LiveReader = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    ended: new Promise((resolve) => { ended = resolve; }),
    events: [],
    dropped: 0,
    async until(predicate, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!predicate(reader.events)) {
        if (Date.now() > deadline) throw new Error(`the live stream did not deliver in ${ms} ms; got ${JSON.stringify(reader.events.map((e) => e.messageId))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => controller.abort(),
  };
  if (!response.ok || !response.body) {
    ended('ended');
    return reader;
  }
  const text = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await text.read();
        if (done) return ended('ended');
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name === 'events' && data) reader.events.push(...(JSON.parse(data) as LiveEvent[]));
          if (name === 'dropped' && data) reader.dropped += Number(data);
        }
      }
    } catch {
      // Aborted by close().
      ended('aborted');
    }
  })();
  return reader;
}
