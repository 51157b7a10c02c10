/**
 * Verified identity end to end (README "Verified identity"): real Chromium
 * pages on the built script-tag SDK, a real collector with an identity
 * secret, SQLite and PostgreSQL. A victim logs in with a token the app's
 * server signed; an attacker in another browser names the victim with no
 * token, an expired one, one for another user and one signed with a secret
 * the collector no longer has, and also posts a bare `track {userId}`. The
 * victim's profile, timeline, company, funnel steps and the user count stay
 * as they were; the signed login stitched the victim's anonymous page view.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIdentityToken } from '../../src/node/identityToken.js';
import { signIdentity } from '../../src/server/index.js';
import { launchChromium, openPage } from '../support/chromium.js';
import type { TestPostgres } from '../support/postgres.js';
import { testPostgres } from '../support/testPostgres.js';
import { closeServer, eventually, listen, startCollector, type RunningCollector } from './helpers.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const SECRET = 'the-identity-secret-of-this-test';
const PREVIOUS = 'the-secret-before-the-rotation';

let browser: Browser;
let postgres: TestPostgres | undefined;

beforeAll(async () => {
  if (!existsSync(`${DIST}idstitch.min.js`)) throw new Error('dist/idstitch.min.js is missing: run `npm run build` first');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await postgres?.stop();
});

/** A site on the script-tag SDK; its login signs the user id, as the app's server would. */
async function startSite(collector: RunningCollector): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use('/dist', express.static(DIST));
  app.get('/', (_req, res) => void res.type('html').send(`<!doctype html><title>Docs</title>
    <script src="/dist/idstitch.min.js"></script>
    <script>idstitch.init(${JSON.stringify({ endpoint: collector.endpoint, flushInterval: 50 })});</script>`));
  app.post('/api/login', (_req, res) => void res.json({ userId: 'victim', token: signIdentity(SECRET, 'victim') }));
  const server = createServer(app);
  return { url: await listen(server), server };
}

/** Runs `script` in a fresh page of `context` (an async function body with `sdk` in scope), then flushes. */
async function inPage(context: BrowserContext, url: string, script: string): Promise<void> {
  const { page, errors } = await openPage(context);
  await page.goto(url);
  await page.evaluate(`(async () => { const sdk = window.idstitch; ${script}; await sdk.flush(); })()`);
  await page.close();
  expect(errors).toEqual([]);
}

/** Everything a forged message could change about the victim. */
async function victimView(collector: RunningCollector) {
  const [profile, timeline, company, stats] = await Promise.all([
    collector.get('/v1/users/victim'), collector.get('/v1/users/victim/events?limit=100'), collector.get('/v1/companies/acme'), collector.get('/v1/stats'),
  ]);
  const funnelSteps = await collector.collector.store.reader.all("SELECT step, ts FROM first_steps_by_key WHERE principal = 'u:victim' ORDER BY step");
  return { profile: profile.body, timeline: timeline.body, company: company.body, funnelSteps, users: stats.body.identifiedUsers };
}

describe.each(['sqlite', 'postgres'] as const)('verified identity in Chromium (%s)', (kind) => {
  it('a forged identify, track and company from another browser change nothing of the victim; a signed login stitches', async () => {
    const database = kind === 'sqlite' ? undefined : await (postgres ??= await testPostgres()).createDatabase();
    const collector = await startCollector(0, database, { identitySecrets: [SECRET, PREVIOUS] });
    const site = await startSite(collector);
    const victim = await browser.newContext();
    const attacker = await browser.newContext();
    try {
      // The victim browses anonymously, then logs in with the token the server signed.
      await inPage(victim, `${site.url}/`, `
        sdk.page('Docs');
        const { userId, token } = await (await fetch('/api/login', { method: 'POST' })).json();
        sdk.identifyUser(userId, { plan: 'team' }, { token });
        sdk.identifyCompany('acme', { name: 'Acme' });
        sdk.track('Signed Up');`);
      const before = await eventually(async () => {
        const view = await victimView(collector);
        return view.profile.eventCount === 4 ? view : undefined;
      }, 'the signed login stitched');
      expect(before.profile).toMatchObject({ userId: 'victim', companyId: 'acme', traits: { plan: 'team' } });
      // The page view before the login is in the victim's timeline: the signed identify linked it.
      expect(before.timeline.events.map((e: { type: string }) => e.type)).toEqual(['page', 'identify', 'group', 'track']);

      const now = Math.floor(Date.now() / 1000);
      const forgedTokens = [
        makeIdentityToken(SECRET, 'victim', now - 60), // expired
        signIdentity(SECRET, 'attacker'), // for another user id
        signIdentity('a-secret-no-longer-configured', 'victim'), // rotated out
      ];
      await inPage(attacker, `${site.url}/`, `
        sdk.page('Docs');
        sdk.identifyUser('victim', { plan: 'pwned' });
        sdk.identifyCompany('acme', { name: 'Pwned' });
        sdk.track('Signed Up');
        for (const token of ${JSON.stringify(forgedTokens)}) {
          sdk.reset();
          sdk.identifyUser('victim', { plan: 'pwned' }, { token });
          sdk.track('Signed Up');
        }
        // A bare track {userId} straight to the collector, no anonymous id to store it under.
        await (await fetch(${JSON.stringify(collector.endpoint)}, { method: 'POST', headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ batch: [{ type: 'track', event: 'Signed Up', userId: 'victim', messageId: 'bare-1' }] }) })).json();`);

      // Every forged message arrived (stored as the attacker's anonymous ids') and none changed the victim.
      await eventually(async () => {
        const { conflicts } = (await collector.get('/v1/conflicts?limit=100')).body as { conflicts: { reason: string }[] };
        return conflicts.length >= 4 ? conflicts : undefined;
      }, 'the forged claims listed');
      const { conflicts } = (await collector.get('/v1/conflicts?limit=100')).body as { conflicts: { attemptedUserId: string; userId: string | null; reason: string }[] };
      expect(conflicts.map((c) => [c.attemptedUserId, c.userId, c.reason])).toEqual(Array.from({ length: 4 }, () => ['victim', null, 'unverified']));
      expect(await victimView(collector)).toEqual(before);
      expect(await collector.collector.store.reader.all("SELECT message_id FROM events WHERE message_id = 'bare-1'")).toEqual([]);
      const tokensStored = await collector.collector.store.reader.all<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE body LIKE '%identityToken%'");
      expect(tokensStored).toEqual([{ n: 0 }]);
    } finally {
      await Promise.all([victim.close(), attacker.close()]);
      await closeServer(site.server);
      await collector.close();
    }
  });
});
