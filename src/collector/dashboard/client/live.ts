/**
 * The live event log (served as `dashboard/live.js`): events pushed by the
 * collector over Server-Sent Events, newest first, filtered by user (or
 * anonymous id), company, type and source.
 *
 * A user filter also matches the anonymous ids the user is linked to, and a
 * company filter the users of the company (both read once from the profile,
 * then followed as identify and group events stream in).
 */
export const liveJs = String.raw`
import { el, replace, time, sourceBadge, userLink, companyLink } from './dom.js';
import { getJson, liveStream, userPath, companyPath } from './api.js';

/** Events kept in memory (and shown at most). */
const KEEP = 500;

export function startLive({ log, form, note, status, onEvents }) {
  const kept = [];
  const seen = new Set();
  const filter = { user: '', company: '', type: '', source: '', anonymousIds: new Set(), companyUsers: new Set() };
  let dropped = 0;

  const matches = (e) =>
    (!filter.type || e.type === filter.type) &&
    (!filter.source || e.source === filter.source) &&
    (!filter.user || e.userId === filter.user || e.anonymousId === filter.user || (!e.userId && filter.anonymousIds.has(e.anonymousId))) &&
    (!filter.company || e.companyId === filter.company || (e.userId !== null && filter.companyUsers.has(e.userId)));

  function row(e) {
    const who = e.userId ? userLink(e.userId) : el('span', { class: 'who anon', title: 'anonymous id' }, e.anonymousId);
    return el('li', { class: 'event type-' + e.type, 'data-message-id': e.messageId },
      el('time', { datetime: e.timestamp, title: e.timestamp }, time(e.timestamp)),
      sourceBadge(e.source),
      el('span', { class: 'type' }, e.type),
      el('span', { class: 'name' }, e.event || ''),
      who,
      e.companyId ? companyLink(e.companyId) : null,
      e.detail ? el('code', { class: 'detail' }, e.detail) : null);
  }

  function render() {
    const shown = kept.filter(matches).reverse().map(row);
    replace(log, shown.length ? shown : el('li', { class: 'empty' }, kept.length ? 'No event matches the filters.' : 'Waiting for events…'));
  }

  function follow(e) {
    if (filter.user && e.userId === filter.user && e.anonymousId) filter.anonymousIds.add(e.anonymousId);
    if (filter.company && e.companyId === filter.company && e.userId) filter.companyUsers.add(e.userId);
  }

  function add(events) {
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
    while (log.children.length > KEEP) log.lastElementChild.remove();
    if (fresh.length && onEvents) onEvents(fresh);
  }

  async function applyFilters() {
    const data = new FormData(form);
    filter.type = String(data.get('type') || '');
    filter.source = String(data.get('source') || '');
    filter.user = String(data.get('user') || '').trim();
    filter.company = String(data.get('company') || '').trim();
    filter.anonymousIds = new Set();
    filter.companyUsers = new Set();
    render();
    // Unknown ids are fine: the filter then matches the id itself only.
    const [user, company] = await Promise.all([
      filter.user ? getJson(userPath(filter.user)).catch(() => null) : null,
      filter.company ? getJson(companyPath(filter.company)).catch(() => null) : null,
    ]);
    if (user) filter.anonymousIds = new Set(user.anonymousIds);
    if (company) filter.companyUsers = new Set(company.userIds);
    for (const e of kept) follow(e);
    render();
  }

  form.addEventListener('input', applyFilters);
  form.addEventListener('submit', (event) => { event.preventDefault(); applyFilters(); });
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
  stream.addEventListener('events', (message) => add(JSON.parse(message.data)));
  stream.addEventListener('dropped', (message) => {
    dropped += Number(message.data) || 0;
    note.textContent = dropped + ' events arrived too fast to list here (they are stored).';
  });
  render();
  return { filterBy(kind, id) {
    form.elements[kind].value = id;
    applyFilters();
  } };
}
`;
