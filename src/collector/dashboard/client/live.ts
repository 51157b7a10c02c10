/**
 * The live event log: events pushed by the collector over Server-Sent Events
 * (`GET /v1/live`), newest first, filtered by user (or anonymous id),
 * company, type and source.
 *
 * A user filter also matches the anonymous ids the user is linked to, and a
 * company filter the users of the company (both read once from the profile,
 * then followed as identify and group events stream in).
 */
import type { CompanyProfile, UserProfile } from '../../query.js';
import type { LiveEvent } from '../liveFeed.js';
import { companyPath, ERASED_EVENT, getJson, liveStream, userPath, type ErasedDetail } from './api.js';
import { companyLink, el, replace, sourceBadge, time, userLink } from './dom.js';

/** Events kept in memory (and shown at most). */
const KEEP = 500;

export interface LiveParts {
  log: HTMLElement;
  form: HTMLFormElement;
  note: HTMLElement;
  status: HTMLElement;
  /** Called with the events that arrived, once per pushed batch. */
  onEvents(events: LiveEvent[]): void;
}

interface Filter {
  user: string;
  company: string;
  type: string;
  source: string;
  anonymousIds: Set<string>;
  companyUsers: Set<string>;
}

export function startLive({ log, form, note, status, onEvents }: LiveParts): void {
  const kept: LiveEvent[] = [];
  const seen = new Set<string>();
  const filter: Filter = { user: '', company: '', type: '', source: '', anonymousIds: new Set(), companyUsers: new Set() };
  let dropped = 0;

  const matches = (e: LiveEvent) =>
    (!filter.type || e.type === filter.type) &&
    (!filter.source || e.source === filter.source) &&
    (!filter.user || e.userId === filter.user || e.anonymousId === filter.user || (!e.userId && e.anonymousId !== null && filter.anonymousIds.has(e.anonymousId))) &&
    (!filter.company || e.companyId === filter.company || (e.userId !== null && filter.companyUsers.has(e.userId)));

  function row(e: LiveEvent): HTMLLIElement {
    const who = e.userId ? userLink(e.userId) : el('span', { class: 'who anon', title: 'anonymous id' }, e.anonymousId);
    return el('li', { class: `event type-${e.type}`, 'data-message-id': e.messageId },
      el('time', { datetime: e.timestamp, title: e.timestamp }, time(e.timestamp)),
      sourceBadge(e.source),
      el('span', { class: 'type' }, e.type),
      el('span', { class: 'name' }, e.event ?? ''),
      who,
      e.companyId ? companyLink(e.companyId) : null,
      e.detail ? el('code', { class: 'detail' }, e.detail) : null);
  }

  function render(): void {
    const shown = kept.filter(matches).reverse().map(row);
    replace(log, shown.length ? shown : el('li', { class: 'empty' }, kept.length ? 'No event matches the filters.' : 'Waiting for events…'));
  }

  function follow(e: LiveEvent): void {
    if (filter.user && e.userId === filter.user && e.anonymousId) filter.anonymousIds.add(e.anonymousId);
    if (filter.company && e.companyId === filter.company && e.userId) filter.companyUsers.add(e.userId);
  }

  function add(events: LiveEvent[]): void {
    const fresh = events.filter((e) => !seen.has(e.messageId));
    for (const e of fresh) {
      seen.add(e.messageId);
      kept.push(e);
      follow(e);
    }
    for (const old of kept.splice(0, Math.max(0, kept.length - KEEP))) seen.delete(old.messageId);
    const placeholder = log.querySelector('li.empty');
    const rows = fresh.filter(matches).map(row);
    if (placeholder && rows.length) placeholder.remove();
    for (const r of rows) log.prepend(r);
    while (log.children.length > KEEP) log.lastElementChild?.remove();
    if (fresh.length) onEvents(fresh);
  }

  async function applyFilters(): Promise<void> {
    const data = new FormData(form);
    filter.type = String(data.get('type') ?? '');
    filter.source = String(data.get('source') ?? '');
    filter.user = String(data.get('user') ?? '').trim();
    filter.company = String(data.get('company') ?? '').trim();
    filter.anonymousIds = new Set();
    filter.companyUsers = new Set();
    render();
    // Unknown ids are fine: the filter then matches the id itself only.
    const [user, company] = await Promise.all([
      filter.user ? getJson<UserProfile>(userPath(filter.user)).catch(() => null) : null,
      filter.company ? getJson<CompanyProfile>(companyPath(filter.company)).catch(() => null) : null,
    ]);
    if (user) filter.anonymousIds = new Set(user.anonymousIds);
    if (company) filter.companyUsers = new Set(company.userIds);
    for (const e of kept) follow(e);
    render();
  }

  // An erasure took these events out of the database: they leave the log too (the rule of store/erase.ts).
  window.addEventListener(ERASED_EVENT, (event) => {
    const { userIds, anonymousIds } = (event as CustomEvent<ErasedDetail>).detail;
    const erased = (e: LiveEvent) => (e.userId !== null ? userIds.includes(e.userId) : e.anonymousId !== null && anonymousIds.includes(e.anonymousId));
    for (let i = kept.length - 1; i >= 0; i--) {
      if (!erased(kept[i]!)) continue;
      seen.delete(kept[i]!.messageId);
      kept.splice(i, 1);
    }
    render();
  });

  form.addEventListener('input', () => void applyFilters());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void applyFilters();
  });
  form.addEventListener('reset', () => setTimeout(applyFilters));

  const stream = liveStream();
  stream.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'status live';
  });
  stream.addEventListener('error', () => {
    const closed = stream.readyState === EventSource.CLOSED;
    status.textContent = closed ? 'disconnected (reload; is the token right?)' : 'reconnecting…';
    status.className = 'status down';
  });
  stream.addEventListener('events', (message) => add(JSON.parse(message.data) as LiveEvent[]));
  stream.addEventListener('dropped', (message) => {
    dropped += Number(message.data) || 0;
    note.textContent = `${dropped} events arrived too fast to list here (they are stored).`;
  });
  render();
}
