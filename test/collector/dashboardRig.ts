/**
 * What the dashboard's Chromium tests share: one Chromium per file, real
 * collectors listening on 127.0.0.1 (SQLite files), dashboard pages whose
 * errors and dialogs are recorded, and batches posted over real HTTP.
 * Screenshots go to {@link OUTPUT} (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Collector, CollectorOptions } from '../../src/collector/index.js';
import { launchChromium, openPage } from '../support/chromium.js';
import type { Harness, Msg } from './helpers.js';

export const OUTPUT = 'test-output';

/** POSTs a batch over real HTTP, as the SDKs do; every message must be stored. */
export async function post(base: string, batch: Msg[]): Promise<void> {
  const response = await fetch(`${base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
}

export interface DashboardTab {
  tab: Page;
  errors: string[];
  dialogs: string[];
  close(): Promise<void>;
}

/** Call once at the top of a test file, after {@link useHarness}. */
export function useDashboardRig(harness: Harness) {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  return {
    /** A collector on a fresh SQLite file, listening on 127.0.0.1; `beforeListen` may add hooks. */
    async listening(options: CollectorOptions = {}, beforeListen?: (c: Collector) => void): Promise<{ c: Collector; base: string }> {
      const c = await harness.collector('sqlite', { port: 0, ...options });
      beforeListen?.(c);
      await c.listen();
      const { port } = c.app.server.address() as { port: number };
      return { c, base: `http://127.0.0.1:${port}` };
    },
    /** A dashboard page whose errors, dialogs and failed requests are recorded. */
    async dashboard(url: string, initScript?: () => void): Promise<DashboardTab> {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const { page: tab, errors } = await openPage(context);
      if (initScript) await tab.addInitScript(initScript);
      const dialogs: string[] = [];
      tab.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      tab.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()}`);
      });
      await tab.goto(url);
      return { tab, errors, dialogs, close: () => context.close() };
    },
  };
}
