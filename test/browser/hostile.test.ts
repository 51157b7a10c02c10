import { expect, it } from 'vitest';
import { openPage } from '../support/chromium.js';
import { useBrowserRig } from '../support/rig.js';
import { IMPORT_MAP } from '../support/site.js';

const rig = useBrowserRig();


/**
 * Runs in the page: calls every public method with every hostile value in
 * every argument position, and counts what was thrown synchronously or
 * rejected asynchronously. The answer must be zero.
 */
const HOSTILE_RUN = `
  const hostile = () => {
    const circular = { a: 1 }; circular.self = circular;
    const trap = () => { throw new Error('trap'); };
    const proxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap });
    return [undefined, null, true, 0, -0, NaN, Infinity, -1, 10n, Symbol('s'), '', '   ', '\\u200b', 'x'.repeat(100000),
      '__proto__', 'null', {}, [], circular, proxy, { get boom() { throw new Error('getter'); } }, () => 1,
      Object.create(null), new Date(NaN), { toString: trap, valueOf: trap, toJSON: trap }, document.body, window];
  };
  const METHODS = ['identifyUser', 'identifyCompany', 'setUserProperties', 'track', 'page', 'reset', 'flush',
    'optIn', 'getAnonymousId', 'getUserId', 'getCompanyId', 'getSessionId'];
  async function attack(target) {
    let thrown = 0, calls = 0;
    const values = hostile();
    for (const method of METHODS) {
      for (const first of values) {
        for (const second of [undefined, ...values.slice(16)]) {
          calls++;
          try {
            const result = target[method](first, second);
            if (result && typeof result.then === 'function') await result.then(null, () => thrown++);
          } catch (error) { thrown++; console.log('threw', method, String(error)); }
        }
      }
    }
    // Bad options must give an inert tracker, not a throw.
    for (const options of values) {
      calls++;
      try { target.createTracker ? target.createTracker(options) : 0; } catch { thrown++; }
    }
    return { thrown, calls };
  }`;

async function attackPage(path: string, html: string) {
  rig.site.setPage(path, html);
  const context = await rig.browser.newContext();
  const { page, errors } = await openPage(context);
  await page.goto(`${rig.site.origin()}${path}`);
  const result = await page.evaluate(() => (window as unknown as { attackResult: Promise<{ thrown: number; calls: number }> }).attackResult);
  await page.waitForTimeout(300);
  await context.close();
  return { ...result, errors };
}

const options = () => JSON.stringify({ endpoint: rig.receiver.endpoint, flushInterval: 10 });

it('the script-tag global survives every hostile argument: no throw, no page error', async () => {
  const result = await attackPage('/hostile-global.html', `<!doctype html><script src="/dist/idstitch.min.js"></script>
    <script>${HOSTILE_RUN}; idstitch.init(${options()}); window.attackResult = attack(idstitch);</script>`);
  expect(result.calls).toBeGreaterThan(300);
  expect(result.thrown).toBe(0);
  expect(result.errors).toEqual([]);
});

it('a createTracker() tracker survives every hostile argument: no throw, no page error', async () => {
  const result = await attackPage('/hostile-esm.html', `<!doctype html>${IMPORT_MAP}<script>${HOSTILE_RUN}</script>
    <script type="module">
      import { createTracker } from '/dist/index.mjs';
      const tracker = createTracker(${options()});
      tracker.createTracker = createTracker;
      window.attackResult = attack(tracker);
    </script>`);
  expect(result.calls).toBeGreaterThan(300);
  expect(result.thrown).toBe(0);
  expect(result.errors).toEqual([]);
});
