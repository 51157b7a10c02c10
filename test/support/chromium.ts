import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium; `scripts/setup.mjs` installs it where it is missing. */
export const CHROMIUM_PATH = process.env.IDSTITCH_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a machine without outside network. */
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // *.example.test resolves to loopback, so cookies can be tested across sibling subdomains; *.vendor.test is a
  // second registrable domain, for links across domains.
  '--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP *.vendor.test 127.0.0.1',
];

/** `backForwardCache`: keep Chromium's back/forward cache on (Playwright turns it off by default). */
export function launchChromium({ backForwardCache = false } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH, args: FLAGS, headless: true,
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
  });
}

/** A page that records every uncaught error and console error, for "zero page errors" assertions. */
export async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { page, errors };
}
