import { attempt } from './attempt.js';
import { read } from './store/types.js';
import type { QueuedMessage } from './queue.js';
import { uuid } from './uuid.js';

/**
 * A tab's heartbeat older than this means the tab is gone (crashed, or
 * throttled so long that another tab may take its messages; the collector
 * deduplicates on messageId, so the worst case is a duplicate, never a loss).
 */
const LEASE_MS = 60_000;

/**
 * The queue's mirror in localStorage. Each tab writes only its own key,
 * `<prefix>q_<tab id>` = `{"t": heartbeat ms, "q": [messages]}`, so tabs never
 * overwrite each other's messages. Messages of a tab that has gone (page
 * hide writes `t: 0`; a crash leaves an old heartbeat) are adopted by the
 * next tracker that starts, under a Web Lock where the browser has one, so
 * two tabs never adopt, and send, the same messages.
 */
export function openQueueStore(storage: Storage, prefix: string, queued: (json: string) => QueuedMessage) {
  const keyPrefix = prefix + 'q_';
  const key = keyPrefix + uuid();
  // Whether the last save stored messages: a missing key then means another page took them.
  let stored: boolean | undefined;
  return {
    /** Mirrors this tab's queue (`released`: free for the next page to take); storage may refuse it (quota). */
    _save(items: QueuedMessage[], released: boolean): void {
      stored = attempt(() => {
        if (items.length) storage.setItem(key, `{"t":${released ? 0 : Date.now()},"q":[${items.map((m) => m._json)}]}`);
        else storage.removeItem(key);
        return !!items.length;
      });
    },
    /** True when another page adopted this tab's stored messages since the last save (the page was away that long). */
    _taken: (): boolean => !!stored && read(storage, key) == null,
    /** Hands the messages of tabs that have gone to `take`, and removes them from storage. */
    _adopt(take: (messages: QueuedMessage[]) => void): void {
      const run = () => {
        // A snapshot of the keys, as eraseIdentity takes: removing them as we go is safe.
        for (const name of Object.keys(storage)) {
          if (!name.startsWith(keyPrefix) || name === key) continue;
          try {
            const { t, q } = JSON.parse(storage.getItem(name)!) as { t: number; q: unknown };
            if (Date.now() - t < LEASE_MS) continue;
            // Serialised again, so byte counts stay exact.
            if (Array.isArray(q)) take(q.filter((m) => typeof m?.messageId === 'string').map((m) => queued(JSON.stringify(m))));
          } catch {
            // Unreadable: not ours to keep.
          }
          storage.removeItem(name);
        }
      };
      // Storage went away between calls: nothing to adopt.
      attempt(() => (navigator.locks ? navigator.locks.request(keyPrefix, run).catch(() => {}) : run()));
    },
  };
}

export type QueueStore = ReturnType<typeof openQueueStore>;
