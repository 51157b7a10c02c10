import { afterEach, describe, expect, test, vi } from 'vitest';
import { autoPage } from '../../src/browser/autoPage';
import { LINK_PARAM, linker, linkValue, readLinkValue } from '../../src/browser/linker';
import { resolveOptions } from '../../src/browser/options';
import { consoleLines, flushed, spyConsole, trackerWithCapture, trackerWithErrors, useCleanPage } from './helpers';

useCleanPage();
afterEach(() => {
  history.replaceState(null, '', '/');
  document.body.innerHTML = '';
});

const ID = '6f1c1a3e-2b7d-4c1e-9a5b-0d3c2e1f4a5b';

describe('the _idl value', () => {
  test('round-trips in the same browser within 2 minutes', () => {
    const made = Date.UTC(2030, 0, 1);
    const value = linkValue(ID, made);
    expect(value).toMatch(new RegExp(`^\\w+\\.\\w+\\.${ID}$`));
    expect(readLinkValue(value, made)).toBe(ID);
    expect(readLinkValue(value, made + 119_000)).toBe(ID);
  });

  test('is refused when stale, edited, from the future or malformed', () => {
    const made = Date.UTC(2030, 0, 1);
    const value = linkValue(ID, made);
    expect(readLinkValue(value, made + 121_000)).toBeUndefined();
    expect(readLinkValue(value, made - 60_000)).toBeUndefined();
    const [time, sum] = value.split('.');
    expect(readLinkValue(`${time}.${sum}.${ID.replace('6f', '7f')}`, made)).toBeUndefined();
    expect(readLinkValue(`${(parseInt(time!, 36) + 60).toString(36)}.${sum}.${ID}`, made + 60_000)).toBeUndefined();
    for (const junk of ['', 'x', '1.2', '..', `${time}..${ID}`, `${time}.${sum}.`]) expect(readLinkValue(junk, made)).toBeUndefined();
  });

  test('from another browser (user agent) is refused', () => {
    const made = Date.UTC(2030, 0, 1);
    const value = linkValue(ID, made);
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue('Another/1.0');
    expect(readLinkValue(value, made)).toBeUndefined();
  });

  test('never carries a placeholder id', () => {
    const made = Date.UTC(2030, 0, 1);
    expect(readLinkValue(linkValue('null', made), made)).toBeUndefined();
  });
});

describe('linkDomains on the npm path', () => {
  test('a list is refused with the import to use; the feature is accepted', () => {
    expect(resolveOptions({ endpoint: 'https://c.example/v1/batch', linkDomains: ['app.vendor.com'] })).toBe("option `linkDomains` must be linker([...]) from 'idstitch'");
    expect(typeof resolveOptions({ endpoint: 'https://c.example/v1/batch', linkDomains: linker(['app.vendor.com']) })).toBe('object');
  });
});

describe('decoration (in jsdom: the events, not navigation)', () => {
  const link = (href: string) => {
    document.body.innerHTML = `<a href="${href}"><span>go</span></a>`;
    return document.querySelector('a')!;
  };

  test('a link to a listed domain or its subdomain gets _idl when pressed; others are left alone', () => {
    const { tracker: t } = trackerWithCapture({ linkDomains: linker(['vendor.com']) });
    for (const [href, decorated] of [
      ['https://app.vendor.com/signup?plan=team#top', true],
      ['https://vendor.com/', true],
      ['https://evilvendor.com/', false],
      ['https://vendor.com.evil.io/', false],
      ['/local', false],
      ['mailto:a@vendor.com', false],
      ['javascript:void(0)', false],
      ['http://localhost:3000/same-host', false],
    ] as const) {
      const a = link(href);
      a.querySelector('span')!.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, button: 1 }));
      const url = new URL(a.href);
      expect(url.searchParams.has(LINK_PARAM), href).toBe(decorated);
      if (decorated) {
        expect(readLinkValue(url.searchParams.get(LINK_PARAM)!)).toBe(t.getAnonymousId());
        expect(url.hash).toBe(href.includes('#') ? '#top' : '');
      }
    }
  });

  test('an href no URL can be made of throws nothing into the page', () => {
    trackerWithCapture({ linkDomains: linker(['vendor.com']) });
    const errors: unknown[] = [];
    const onError = (event: ErrorEvent) => errors.push(event.error);
    window.addEventListener('error', onError);
    try {
      const a = link('http://[::1');
      a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
      document.body.innerHTML = '<form method="post" action="http://[::1"></form>';
      document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(errors).toEqual([]);
  });

  test('nothing to carry before consent: the link stays as it is', () => {
    // A domain of its own: the earlier tests' trackers still listen on this page.
    const { tracker: t } = trackerWithCapture({ consent: 'pending', linkDomains: linker(['pending.test']) });
    const a = link('https://app.pending.test/');
    a.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, key: 'Enter' }));
    expect(a.href).toBe('https://app.pending.test/');
    t.setConsent('granted');
    a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(new URL(a.href).searchParams.has(LINK_PARAM)).toBe(true);
  });

  test('forms: a GET form carries it as a field, a POST form in its action', () => {
    trackerWithCapture({ linkDomains: linker(['vendor.com']) });
    document.body.innerHTML = `<form id="g" method="get" action="https://app.vendor.com/search"><input name="q" value="x"></form>
      <form id="p" method="post" action="https://app.vendor.com/signup"></form>`;
    const submit = (form: HTMLFormElement) => form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    const get = document.getElementById('g') as HTMLFormElement;
    submit(get);
    submit(get);
    const fields = get.querySelectorAll(`input[name="${LINK_PARAM}"]`);
    expect(fields).toHaveLength(1);
    expect(readLinkValue((fields[0] as HTMLInputElement).value)).toBeTruthy();
    const post = document.getElementById('p') as HTMLFormElement;
    submit(post);
    expect(readLinkValue(new URL(post.action).searchParams.get(LINK_PARAM)!)).toBeTruthy();
  });
});

describe('arrival', () => {
  test('a valid _idl is adopted, taken off the address bar before the first message, the rest of the URL kept', async () => {
    history.replaceState(null, '', `/welcome?utm_source=docs&${LINK_PARAM}=${encodeURIComponent(linkValue(ID))}&b=2#form`);
    const { tracker: t, capture } = trackerWithCapture({ linkDomains: linker(['docs.vendor.io']), autoPage });
    expect(location.pathname + location.search + location.hash).toBe('/welcome?utm_source=docs&b=2#form');
    expect(t.getAnonymousId()).toBe(ID);
    const sent = await flushed(t, capture);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.anonymousId).toBe(ID);
    expect(JSON.stringify(sent)).not.toContain(LINK_PARAM);
    expect(sent[0]!.context.campaign).toEqual({ source: 'docs' });
  });

  test('an identified visitor stays who they are', () => {
    const first = trackerWithCapture();
    first.tracker.identifyUser('u_here');
    const own = first.tracker.getAnonymousId();
    history.replaceState(null, '', `/?${LINK_PARAM}=${encodeURIComponent(linkValue(ID))}`);
    const { tracker: t } = trackerWithCapture({ linkDomains: linker(['docs.vendor.io']) });
    expect(location.search).toBe('');
    expect([t.getAnonymousId(), t.getUserId()]).toEqual([own, 'u_here']);
  });

  test('a stale or edited _idl is ignored with a debug line, and still removed', () => {
    const console = spyConsole();
    history.replaceState(null, '', `/?${LINK_PARAM}=${encodeURIComponent(linkValue(ID, Date.now() - 180_000))}`);
    const { tracker: t } = trackerWithCapture({ linkDomains: linker(['docs.vendor.io']), debug: true });
    expect(location.search).toBe('');
    expect(t.getAnonymousId()).not.toBe(ID);
    expect(consoleLines(console.log).some((line) => line.includes('_idl ignored'))).toBe(true);
  });

  test('while consent is pending the link is read and removed at once, and adopted at grant', async () => {
    history.replaceState(null, '', `/?${LINK_PARAM}=${encodeURIComponent(linkValue(ID))}`);
    const { tracker: t, capture, errors } = trackerWithErrors({ linkDomains: linker(['docs.vendor.io']), consent: 'pending' });
    expect(location.search).toBe('');
    t.page();
    t.setConsent('granted');
    expect((await flushed(t, capture)).map((m) => m.anonymousId)).toEqual([ID]);
    expect(errors()).toEqual([]);
  });
});
