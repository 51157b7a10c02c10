/**
 * One journey, end to end: an anonymous visitor in a real Chromium browses a
 * page that loads the built SDK, calls the site's API (same origin, so the
 * SDK's anonymous-id cookie rides along), logs in, and calls the API again.
 * The real collector must end up with one user whose timeline holds both the
 * web and the API events, in order, and a company that owns them.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readCookie } from '../../src/server/cookies.js';
import { createServerClient, idstitchMiddleware, type ServerClient } from '../../src/server/index.js';
import { launchChromium } from '../support/chromium.js';
import { closeServer, errorLog, eventually, listen, startCollector, type RunningCollector } from './helpers.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const USERS: Record<string, { userId: string; companyId: string }> = { 'session-ada': { userId: 'u_ada', companyId: 'c_analytical' } };

let browser: Browser;
let collector: RunningCollector;
let client: ServerClient;
let server: Server;
let site: string;
const log = errorLog();

/** The app's own auth: an HttpOnly session cookie, unrelated to idstitch's. */
const sessionOf = (req: Request) => USERS[readCookie(req.headers.cookie, 'session') ?? ''];

beforeAll(async () => {
  if (!existsSync(`${DIST}idstitch.min.js`)) throw new Error('dist/idstitch.min.js is missing: run `npm run build` first');
  [browser, collector] = await Promise.all([launchChromium(), startCollector()]);
  client = createServerClient({ endpoint: collector.endpoint, flushInterval: 20, onError: log.onError });

  const app = express();
  app.use(idstitchMiddleware<Request, Response>({
    client,
    identifyUser: (req) => sessionOf(req)?.userId,
    identifyCompany: async (req) => sessionOf(req)?.companyId,
    skip: [/^\/dist\//, '/', '/favicon.ico'],
  }));
  app.use('/dist', express.static(DIST));
  app.get('/', (_req, res) => void res.type('html').send(`<!doctype html><title>Docs</title>
    <script src="/dist/idstitch.min.js"></script>
    <script>idstitch.init(${JSON.stringify({ endpoint: collector.endpoint, flushInterval: 50 })});</script>`));
  app.get('/api/projects/:id', (req, res) => void res.json({ id: req.params.id, owner: sessionOf(req)?.userId ?? null }));
  app.post('/api/login', (_req, res) => {
    res.cookie('session', 'session-ada', { httpOnly: true, sameSite: 'lax' });
    res.json(USERS['session-ada']);
  });
  server = createServer(app);
  site = await listen(server);
});

afterAll(async () => {
  await browser?.close();
  if (server) await closeServer(server);
  await client?.close();
  await collector?.close();
});

it('an anonymous browser session with API calls ends up as one user with web and API events in one timeline', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${site}/`);

  // A visitor's steps are seconds apart; 300 ms keeps them apart in the timeline even though the
  // collector's clock-skew correction (receivedAt - (sentAt - timestamp)) shifts each by its own delivery latency.
  const journey = await page.evaluate(async () => {
    const sdk = (window as unknown as { idstitch: Record<string, (...args: unknown[]) => any> }).idstitch;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    sdk.page('Docs');
    const anonymousId = sdk.getAnonymousId() as string;
    await pause();
    const before = await fetch('/api/projects/p1').then((r) => r.status);
    await pause();
    sdk.track('Pricing Viewed');
    await pause();
    const login = (await fetch('/api/login', { method: 'POST' }).then((r) => r.json())) as { userId: string; companyId: string };
    await pause();
    sdk.identifyUser(login.userId, { name: 'Ada' });
    sdk.identifyCompany(login.companyId, { name: 'Analytical Engines' });
    await pause();
    const after = await fetch('/api/projects/p2').then((r) => r.status);
    await sdk.flush();
    return { anonymousId, statuses: [before, after], userId: sdk.getUserId() };
  });
  expect(journey.statuses).toEqual([200, 200]);
  expect(journey.userId).toBe('u_ada');
  expect(pageErrors).toEqual([]);

  // Web: page, track, identify, group. API: the anonymous call, the login, the identified call.
  const profile = await eventually(async () => {
    const { status, body } = await collector.get('/v1/users/u_ada');
    return status === 200 && body.sources.web >= 4 && body.sources.api >= 3 ? body : undefined;
  }, 'the stitched profile');
  expect(profile).toMatchObject({ userId: 'u_ada', anonymousIds: [journey.anonymousId], companyId: 'c_analytical', sources: { web: 4, api: 3 }, eventCount: 7 });

  const { body: timeline } = await collector.get('/v1/users/u_ada/events?limit=50');
  const steps = (timeline.events as Record<string, any>[]).map((e) =>
    e.event === 'API Call' ? `api ${e.properties.method} ${e.properties.route}${e.userId ? ' (user)' : ' (anonymous)'}` : `web ${e.type}${e.event ? ` ${e.event}` : ''}`);
  expect(steps).toEqual([
    'web page',
    'api GET /api/projects/:id (anonymous)',
    'web track Pricing Viewed',
    'api POST /api/login (anonymous)',
    'web identify',
    'web group',
    'api GET /api/projects/:id (user)',
  ]);
  // The anonymous API calls carry the browser's anonymous id: that is what stitches them.
  const apiCalls = (timeline.events as Record<string, any>[]).filter((e) => e.event === 'API Call');
  expect(apiCalls.map((e) => e.anonymousId)).toEqual([journey.anonymousId, journey.anonymousId, journey.anonymousId]);
  expect(apiCalls.map((e) => e.source)).toEqual(['api', 'api', 'api']);
  expect(apiCalls[2]!.context.groupId).toBe('c_analytical');

  const company = await collector.get('/v1/companies/c_analytical');
  expect(company.body).toMatchObject({ companyId: 'c_analytical', userIds: ['u_ada'], eventCount: 7, traits: { name: 'Analytical Engines' } });
  // The funnel counts each step's first time: the page view, the anonymous API call (stitched through the
  // anonymous id), then the pricing view. Asked the other way round, the first API call came before it.
  const funnel = await collector.get('/v1/funnel?steps=page,API%20Call,Pricing%20Viewed&within=1d');
  expect(funnel.body.steps.map((s: { users: number }) => s.users)).toEqual([1, 1, 1]);
  const reversed = await collector.get('/v1/funnel?steps=page,Pricing%20Viewed,API%20Call&within=1d');
  expect(reversed.body.steps.map((s: { users: number }) => s.users)).toEqual([1, 1, 0]);
  expect(log.errors).toEqual([]);
  await context.close();
});
