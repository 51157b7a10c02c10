import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.js';
import { startReceiver } from './receiver.js';
import type { Receiver } from './receiver.js';
import { startSite } from './site.js';
import type { Site } from './site.js';

/** Chromium, the loopback site that serves dist/, and a batch receiver: what most browser tests need. */
export interface BrowserRig {
  browser: Browser;
  site: Site;
  receiver: Receiver;
}

/** Starts the rig before the file's tests and stops it after; the returned object is filled by then. */
export function useBrowserRig(): BrowserRig {
  const rig = {} as BrowserRig;
  beforeAll(async () => {
    [rig.browser, rig.site, rig.receiver] = await Promise.all([launchChromium(), startSite(), startReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([rig.browser?.close(), rig.site?.close(), rig.receiver?.close()]);
  });
  return rig;
}
