/**
 * Shared fixtures of the unit suite: clean storage, a capturing `fetch`, and
 * trackers that are silenced after each test so one test's timers and
 * listeners cannot send into the next.
 */
import Cookies from 'js-cookie';
import { afterEach, beforeEach, vi } from 'vitest';
import type { Batch, Message } from '../../src/protocol/messages';
import { createTracker } from '../../src/browser/tracker';
import type { Tracker } from '../../src/browser/tracker';
import type { TrackerOptions } from '../../src/browser/options';

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Removes every cookie the page can see (all are host-only on path `/` under jsdom's localhost). */
export function clearCookies(): void {
  for (const name of Object.keys(Cookies.get())) Cookies.remove(name);
}

/** Name → value of the page's cookies. */
export const cookies = (): Record<string, string> => Cookies.get();

/** Key → value of localStorage. */
export function localEntries(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i)!;
    entries[key] = localStorage.getItem(key)!;
  }
  return entries;
}

/** One POST the tracker made. */
export interface Sent {
  url: string;
  init: RequestInit;
  body: Batch;
  /** Bytes of the body as sent. */
  bytes: number;
}

export type Responder = (sent: Sent) => Response | Promise<Response>;

export const ok = (): Response => new Response('{"ok":true}', { status: 200 });

/** Replaces `fetch` with a recorder; `respond` decides each answer (200 by default). */
export function captureFetch(respond: Responder = ok) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const text = String(init.body);
    const request = { url, init, body: JSON.parse(text) as Batch, bytes: new TextEncoder().encode(text).length };
    sent.push(request);
    return respond(request);
  });
  vi.stubGlobal('fetch', fetch);
  return {
    fetch,
    sent,
    /** Every message sent, in order. */
    messages: (): Message[] => sent.flatMap((request) => request.body.batch),
    /** Changes how later requests are answered. */
    respondWith(next: Responder) {
      respond = next;
    },
  };
}

export type Capture = ReturnType<typeof captureFetch>;

const trackers: Tracker[] = [];
let endpoints = 0;

/** A fresh endpoint per tracker, so a stray request is attributable. */
export const newEndpoint = (): string => `https://collect.test/v1/batch?tracker=${++endpoints}`;

/** createTracker with a fresh endpoint; the tracker is silenced after the test. */
export function tracker(options: Partial<TrackerOptions> = {}): Tracker {
  const created = createTracker({ endpoint: newEndpoint(), ...options });
  trackers.push(created);
  return created;
}

/** A tracker and the requests it makes. */
export function trackerWithCapture(options: Partial<TrackerOptions> = {}, respond?: Responder) {
  const capture = captureFetch(respond);
  return { tracker: tracker(options), capture };
}

/** Sends what is queued and returns the messages sent so far. */
export async function flushed(t: Tracker, capture: Capture): Promise<Message[]> {
  await t.flush();
  return capture.messages();
}

/** Clean storage before each test; after it, silence its trackers and undo stubs, spies and fake timers. */
export function useCleanPage(): void {
  beforeEach(() => {
    localStorage.clear();
    clearCookies();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
    // optOut clears the queue and stops sending: old timers and listeners stay quiet.
    for (const t of trackers.splice(0)) t.optOut();
    localStorage.clear();
    clearCookies();
  });
}

/** Fake clocks for timers and Date, leaving microtasks real so awaited fetches settle. */
export function fakeTime(start = Date.UTC(2030, 0, 1)): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(start);
}

/** Lets pending promise callbacks (a fetch answer, a queued microtask) run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Captures console.warn / console.error / console.log without printing. */
export function spyConsole() {
  return {
    warn: vi.spyOn(console, 'warn').mockImplementation(() => {}),
    error: vi.spyOn(console, 'error').mockImplementation(() => {}),
    log: vi.spyOn(console, 'log').mockImplementation(() => {}),
  };
}

/** Every argument a console spy received, joined per call. */
export const consoleLines = (spy: { mock: { calls: unknown[][] } }): string[] =>
  spy.mock.calls.map((args) => args.map(String).join(' '));

/** A tracker whose onError is recorded (and whose console output is silenced). */
export function trackerWithErrors(options: Partial<TrackerOptions> = {}, respond?: Responder) {
  spyConsole();
  const onError = vi.fn<(error: Error) => void>();
  return {
    ...trackerWithCapture({ onError, ...options }, respond),
    onError,
    /** The message of every error reported so far. */
    errors: (): string[] => onError.mock.calls.map(([error]) => error.message),
  };
}
