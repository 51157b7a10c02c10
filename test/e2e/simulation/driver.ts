/**
 * Plays a journey in real Chromium: one browser context per device, through
 * the example sites and API server, into the collector. Records the truth as
 * it goes: after every step that sent something, who was at the keyboard and
 * which anonymous id the tracker used.
 *
 * Before leaving a page the driver flushes its tracker: delivery on page hide
 * is tested elsewhere; here a message lost in transit would blur the identity
 * count this simulation is about.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import type { Host, Journey, Step } from './journeys.js';
import type { Truth } from './truth.js';

export interface DriverSetup {
  browser: Browser;
  /** The example server's origin on a host, e.g. `http://a.example.test:41234`. */
  origin(host: Host): string;
  /** The collector's batch endpoint, which late identifies are held back from. */
  endpoint: string;
  truth: Truth;
}

interface Device {
  key: string;
  context: BrowserContext;
  page: Page;
  /** Which example the page shows: the tracker is `window.idstitch` on the docs, `window.app.tracker` in the app. */
  on: 'docs' | 'app' | null;
  epoch: number;
  /** While set, batches holding an `identify` are answered 200 here and reach the collector only at the journey's end. */
  holdIdentify: boolean;
}

const TRACKER = { docs: 'window.idstitch', app: 'window.app.tracker' } as const;

/** Evaluates `method()` on the device's tracker. */
function callTracker<T>(device: Device, method: string): Promise<T> {
  return device.page.evaluate(`${TRACKER[device.on!]}.${method}()`) as Promise<T>;
}

async function leave(device: Device): Promise<void> {
  if (device.on) await callTracker(device, 'flush');
}

async function openDocs(device: Device, url: string): Promise<void> {
  await leave(device);
  // 'commit': the readiness checks below wait for what matters, not for every image and style sheet.
  await device.page.goto(url, { waitUntil: 'commit' });
  await device.page.waitForFunction('typeof window.example?.ready === "function"');
  await device.page.evaluate('window.example.ready()');
  device.on = 'docs';
}

async function openApp(device: Device, url: string): Promise<void> {
  await leave(device);
  await device.page.goto(url, { waitUntil: 'commit' });
  await device.page.waitForFunction('window.app?.tracker');
  device.on = 'app';
}

export interface JourneyOutcome {
  /** Identify batches the collector received only after the journey's later events. */
  lateIdentifies: number;
}

/** Runs every step of `journey`; the truth gets its people, anonymous ids and logins. */
export async function runJourney(journey: Journey, setup: DriverSetup): Promise<JourneyOutcome> {
  const { truth } = setup;
  for (const person of journey.people) truth.addPerson(person);
  const emails = new Map(journey.people.map((p) => [p.key, p.email]));
  const held: string[] = [];
  const devices: Device[] = [];
  try {
    for (let i = 0; i < journey.devices; i++) {
      const context = await setup.browser.newContext();
      context.setDefaultTimeout(20_000);
      const device: Device = { key: `j${journey.id}d${i}`, context, page: await context.newPage(), on: null, epoch: 0, holdIdentify: false };
      if (journey.steps.some((s) => s.kind === 'login' && s.lateIdentify && s.device === i)) {
        await context.route(setup.endpoint, (route: Route) => {
          const body = route.request().postData() ?? '';
          if (!device.holdIdentify || !body.includes('"type":"identify"')) return route.continue();
          held.push(body);
          return route.fulfill({ status: 200, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: '{"ok":true}' });
        });
      }
      devices.push(device);
    }
    for (const step of journey.steps) await play(step, devices[step.device]!, setup, emails);
    for (const device of devices) await leave(device);
  } finally {
    await Promise.all(devices.map((d) => d.context.close().catch(() => undefined)));
    // The held identifies arrive now, after everything the journey sent later.
    for (const body of held) {
      await fetch(setup.endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    }
  }
  return { lateIdentifies: held.length };
}

async function play(step: Step, device: Device, setup: DriverSetup, emails: Map<string, string>): Promise<void> {
  const see = async (person: string) => {
    const anonymousId = await callTracker<string>(device, 'getAnonymousId');
    // A cookie jar: the device, its cookie epoch and the registrable domain (example.test or vendor.test).
    const site = new URL(device.page.url()).hostname.split('.').slice(-2).join('.');
    setup.truth.see(anonymousId, person, `${device.key}e${device.epoch}@${site}`);
  };
  switch (step.kind) {
    case 'docs':
      await openDocs(device, `${setup.origin(step.host)}/docs/${step.page}`);
      return see(step.person);
    case 'app':
      await openApp(device, `${setup.origin(step.host)}/app/${step.route}`);
      return see(step.person);
    case 'api':
      await device.page.evaluate(device.on === 'docs' ? 'window.example.loadProjects()' : "window.app.navigate('/app/projects')");
      return see(step.person);
    case 'login': {
      device.holdIdentify ||= step.lateIdentify;
      const { userId } = (await device.page.evaluate(`window.example.login(${JSON.stringify(emails.get(step.person))})`)) as { userId: string };
      setup.truth.login(step.person, userId);
      // Send the identify now, so that it is the one held back, not a beacon on the next page's load.
      if (step.lateIdentify) await callTracker(device, 'flush');
      return see(step.person);
    }
    case 'logout':
      // The new anonymous id sends nothing until the next person browses: nothing to record.
      await device.page.evaluate('window.example.logout()');
      return;
    case 'follow': {
      // A link in the page, followed by a click: the linker adds `_idl` as it is pressed.
      await callTracker(device, 'flush');
      await device.page.evaluate((href) => {
        document.body.append(Object.assign(document.createElement('a'), { id: 'follow', href, textContent: 'follow' }));
      }, `${setup.origin(step.host)}/docs/`);
      await Promise.all([device.page.waitForURL(`${setup.origin(step.host)}/docs/`, { waitUntil: 'commit' }), device.page.click('#follow')]);
      await device.page.waitForFunction('typeof window.example?.ready === "function"');
      await device.page.evaluate('window.example.ready()');
      return see(step.person);
    }
    case 'clearCookies': {
      // "Clear browsing data": cookies and both subdomains' localStorage, from a blank page.
      await leave(device);
      await device.page.goto('about:blank');
      device.on = null;
      await device.context.clearCookies();
      const cdp = await device.context.newCDPSession(device.page);
      for (const host of ['a', 'b', 'x'] as const) {
        await cdp.send('Storage.clearDataForOrigin', { origin: setup.origin(host), storageTypes: 'local_storage' });
      }
      await cdp.detach();
      device.epoch++;
      return;
    }
  }
}
