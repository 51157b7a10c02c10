import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Message, TrackMessage } from '../../src/protocol/messages.js';
import { openPage } from '../support/chromium.js';
import { eventually } from '../support/poll.js';
import { useBrowserRig } from '../support/rig.js';
import { IMPORT_MAP } from '../support/site.js';
import { expectBrowserMessage } from '../support/shapes.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const SNIPPET = readFileSync(new URL('../../dist/snippet.min.js', import.meta.url), 'utf8');

const rig = useBrowserRig();

beforeEach(() => rig.receiver.clear());

/** The same journey in each integration style: anonymous page view, login, company, an event. */
const journey = (api: string) => `
  ${api}.page('Docs', { section: 'quickstart' });
  ${api}.identifyUser('u_1001', { plan: 'team' });
  ${api}.identifyCompany('c_77', { name: 'Acme' });
  ${api}.track('Signed Up', { via: 'docs' });
  ${api}.flush();`;

const options = () => JSON.stringify({ endpoint: rig.receiver.endpoint, writeKey: 'wk_test', flushInterval: 50 });

async function runPage(path: string, html: string): Promise<Message[]> {
  rig.site.setPage(path, html);
  const context = await rig.browser.newContext();
  const { page, errors } = await openPage(context);
  await page.goto(`${rig.site.origin()}${path}?utm_source=newsletter&utm_campaign=launch`);
  // Only this page's messages: a page closed by the test before may still beacon its queue
  // (delivery is at least once; the collector drops the copies), after the receiver was cleared.
  const ours = () => rig.receiver.batches.flatMap((b) => b.batch).filter((m) => m.context.page?.path === path);
  const messages = await eventually(async () => (ours().length >= 4 ? ours() : undefined), `4 messages from ${path}`, 10_000);
  await context.close();
  expect(errors).toEqual([]);
  return messages;
}

function expectJourney(messages: Message[]): void {
  expect(messages.map((m) => m.type)).toEqual(['page', 'identify', 'group', 'track']);
  for (const message of messages) expectBrowserMessage(message, version);
  const [page, identify, group, track] = messages as [Message, Message, Message, TrackMessage];
  expect(new Set(messages.map((m) => m.anonymousId)).size).toBe(1);
  expect(page.userId).toBeNull();
  expect(identify.userId).toBe('u_1001');
  expect(identify.type === 'identify' && identify.traits).toEqual({ plan: 'team' });
  expect(group.type === 'group' && group.groupId).toBe('c_77');
  expect(page.context.groupId).toBeUndefined();
  expect(track.context.groupId).toBe('c_77');
  expect(track.event).toBe('Signed Up');
  expect(track.context.campaign).toEqual({ source: 'newsletter', name: 'launch' });
  expect(track.context.page?.path).toMatch(/\.html$/);
  expect(page.type === 'page' && page.name).toBe('Docs');
  // text/plain keeps the POST a CORS simple request: no preflight.
  expect(rig.receiver.contentTypes.every((type) => type.startsWith('text/plain'))).toBe(true);
  expect(rig.receiver.batches.every((batch) => batch.writeKey === 'wk_test' && !Number.isNaN(Date.parse(batch.sentAt)))).toBe(true);
}

describe('the contract message shapes, from a real Chromium', () => {
  it('script tag: idstitch.min.js and idstitch.init()', async () => {
    const messages = await runPage('/script.html', `<!doctype html><title>Script tag</title>
      <script src="/dist/idstitch.min.js"></script>
      <script>idstitch.init(${options()}); ${journey('idstitch')}</script>`);
    expectJourney(messages);
  });

  it('snippet: calls before the SDK loads arrive in order, with the times they were made', async () => {
    const messages = await runPage('/snippet.html', `<!doctype html><title>Snippet</title>
      <script>${SNIPPET}
        window.calledAt = Date.now();
        idstitch.init(${options()});
        ${journey('idstitch')}
        setTimeout(() => idstitch.load('/dist/idstitch.min.js'), 300);
      </script>`);
    expectJourney(messages);
    // Made before the 300 ms delayed load, so stamped well before the batch was sent.
    const sentAt = Date.parse(rig.receiver.batches.find((b) => b.batch.some((m) => m.messageId === messages[0]!.messageId))!.sentAt);
    for (const message of messages) expect(sentAt - Date.parse(message.timestamp)).toBeGreaterThanOrEqual(250);
  });

  it('ES module: import { createTracker } from dist/index.mjs', async () => {
    const messages = await runPage('/esm.html', `<!doctype html><title>ESM</title>${IMPORT_MAP}
      <script type="module">
        import { createTracker } from '/dist/index.mjs';
        const tracker = createTracker(${options()});
        ${journey('tracker')}
      </script>`);
    expectJourney(messages);
  });
});

describe('autoPage in each build', () => {
  /** Paths (below the page's folder) of the page views a page sent; an earlier test's page may still beacon its own. */
  async function pagePaths(path: string, html: string): Promise<string[]> {
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    rig.site.setPage(path, html);
    const context = await rig.browser.newContext();
    const { page, errors } = await openPage(context);
    await page.goto(`${rig.site.origin()}${path}`);
    const paths = () => rig.receiver.batches.flatMap((b) => b.batch).filter((m) => m.type === 'page').map((m) => m.context.page!.path).filter((p) => p.startsWith(folder));
    const sent = await eventually(async () => (paths().length >= 3 ? paths() : undefined), `3 page views from ${path}`, 10_000);
    await context.close();
    expect(errors).toEqual([]);
    return sent;
  }
  const navigate = `history.pushState(null, '', 'one'); history.pushState(null, '', 'two');`;
  const autoOptions = (autoPage: string) => `{ endpoint: ${JSON.stringify(rig.receiver.endpoint)}, flushInterval: 50, autoPage: ${autoPage} }`;

  it('script tag: autoPage: true', async () => {
    const html = `<!doctype html><script src="/dist/idstitch.min.js"></script>
      <script>idstitch.init(${autoOptions('true')}); ${navigate}</script>`;
    expect(await pagePaths('/tag/page.html', html)).toEqual(['/tag/page.html', '/tag/one', '/tag/two']);
  });

  it('ES module: the autoPage import as the option', async () => {
    const html = `<!doctype html>${IMPORT_MAP}<script type="module">
        import { autoPage, createTracker } from '/dist/index.mjs';
        createTracker(${autoOptions('autoPage')}); ${navigate}
      </script>`;
    expect(await pagePaths('/esm/page.html', html)).toEqual(['/esm/page.html', '/esm/one', '/esm/two']);
  });
});

describe('warnings and errors in the production and development builds (README "Warnings and errors")', () => {
  /** What the page logged with the `[idstitch]` prefix, and the messages `onError` got. */
  async function logged(path: string, html: string): Promise<string[]> {
    rig.site.setPage(path, html);
    const context = await rig.browser.newContext();
    const { page, errors } = await openPage(context);
    const lines: string[] = [];
    page.on('console', (message) => {
      if (message.text().startsWith('[idstitch]') || message.text().startsWith('onError')) lines.push(message.text());
    });
    await page.goto(`${rig.site.origin()}${path}`);
    await eventually(async () => (lines.length >= 5 ? true : undefined), `5 lines from ${path}`, 10_000);
    await context.close();
    expect(errors).toEqual([]);
    return lines.sort();
  }
  const badCalls = (create: string) => `
    const tracker = ${create}({ endpoint: ${JSON.stringify(rig.receiver.endpoint)} });
    tracker.track(42);
    tracker.identifyUser('null');
    tracker.page({ title: 'not a name' });
    ${create}({ endpoint: 'collect.example.com', onError: (error) => console.log('onError', error.code, error.message) });`;
  const PRODUCTION = [
    '[idstitch] invalid-event',
    '[idstitch] invalid-id identifyUser placeholder',
    '[idstitch] invalid-option endpoint',
    '[idstitch] invalid-page-name',
    'onError invalid-option invalid-option endpoint',
  ];
  const DEVELOPMENT = [
    '[idstitch] identifyUser: id is a placeholder',
    '[idstitch] option `endpoint` must be a string like /^https?:\\/\\/[^/]/i: tracker disabled',
    '[idstitch] page: name must be a string',
    '[idstitch] track: event must be a string',
    'onError invalid-option option `endpoint` must be a string like /^https?:\\/\\/[^/]/i: tracker disabled',
  ];
  const tag = (file: string) => `<!doctype html><script src="/dist/${file}"></script><script>${badCalls('idstitch.createTracker')}</script>`;
  const esm = (file: string) => `<!doctype html>${IMPORT_MAP}<script type="module">
      import { createTracker } from '/dist/${file}';
      ${badCalls('createTracker')}
    </script>`;

  it('idstitch.min.js logs each message by its key and details', async () => {
    expect(await logged('/log/tag.html', tag('idstitch.min.js'))).toEqual(PRODUCTION);
  });
  it('idstitch.development.min.js logs the words', async () => {
    expect(await logged('/log/tag-dev.html', tag('idstitch.development.min.js'))).toEqual(DEVELOPMENT);
  });
  it('dist/index.mjs logs keys, dist/index.development.mjs the words', async () => {
    expect(await logged('/log/esm.html', esm('index.mjs'))).toEqual(PRODUCTION);
    expect(await logged('/log/esm-dev.html', esm('index.development.mjs'))).toEqual(DEVELOPMENT);
  });
});
