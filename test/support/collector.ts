import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '../../src/collector/index.js';
import type { Collector } from '../../src/collector/index.js';

/** One stored row, as the collector's own table holds it. */
export interface StoredRow {
  messageId: string;
  anonymousId: string | null;
  /** The message as received. */
  body: Record<string, any>;
}

/** The real collector, in this process, on a throwaway SQLite file. */
export interface LocalCollector {
  collector: Collector;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** Stored rows whose `properties[key]` equals `value` (every row, duplicates included). */
  rowsWhere(key: string, value: string): Promise<StoredRow[]>;
  close(): Promise<void>;
}

export async function startLocalCollector(): Promise<LocalCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-collector-'));
  const collector = await createCollector({ database: join(dir, 'store.db'), port: 0, logLevel: 'silent' });
  const url = await collector.listen();
  return {
    collector,
    url,
    async rowsWhere(key, value) {
      const rows = await collector.store.reader.all<{ messageId: string; anonymousId: string | null; body: string }>(
        `SELECT message_id AS messageId, anonymous_id AS anonymousId, body FROM events WHERE json_extract(body, ?) = ? ORDER BY seq`,
        [`$.properties.${key}`, value],
      );
      return rows.map((row) => ({ ...row, body: JSON.parse(row.body) as Record<string, any> }));
    },
    async close() {
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
