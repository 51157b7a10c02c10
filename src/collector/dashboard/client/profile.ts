/**
 * User and company profiles. A user's profile has its stitched timeline,
 * oldest first: events that arrived with only an anonymous id (before
 * identify, or from a device not yet logged in) are marked anonymous, and
 * each event says whether it came from the web or the API.
 */
import type { CompanyProfile, EventOut, Timeline, UserProfile } from '../../query.js';
import type { ErasureAnswer } from '../../routes/erase.js';
import { apiUrl, companyPath, deleteJson, ERASED_EVENT, getJson, userPath, type ErasedDetail } from './api.js';
import { companyLink, dateTime, el, messageOf, replace, show, sourceBadge, userLink, type Child } from './dom.js';

const PAGE = 200;

function facts(pairs: readonly (readonly [string, Child])[]): HTMLDListElement {
  return el('dl', { class: 'facts' }, pairs.map(([term, value]) => [el('dt', null, term), el('dd', null, value)]));
}

function traitTable(traits: Record<string, unknown> | null | undefined): HTMLElement {
  const keys = Object.keys(traits ?? {}).sort();
  if (!keys.length) return el('p', { class: 'muted' }, 'No traits.');
  return el('table', { class: 'traits' },
    el('tbody', null, keys.map((key) => el('tr', null, el('th', null, key), el('td', null, show(traits![key]))))));
}

/** A stored event's fields as they came in: untrusted shapes, read as text only. */
const field = (e: EventOut, name: string): unknown => e[name];
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const record = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

function describe(e: EventOut): string {
  const type = field(e, 'type');
  if (type === 'track') return show(field(e, 'event') ?? '');
  if (type === 'page' || type === 'screen') {
    const properties = record(field(e, 'properties'));
    return show((properties && (properties.path || properties.url)) || field(e, 'name') || '');
  }
  if (type === 'identify') return `identified as ${text(field(e, 'userId'))}`;
  if (type === 'group') return `joined ${text(field(e, 'groupId'))}`;
  if (type === 'alias') return `${text(field(e, 'previousId'))} → ${text(field(e, 'userId'))}`;
  return '';
}

function timelineRow(e: EventOut): HTMLLIElement {
  const type = text(field(e, 'type'));
  const anonymous = !field(e, 'userId');
  const data = record(field(e, type === 'identify' || type === 'group' ? 'traits' : 'properties'));
  return el('li', { class: `event type-${type}${anonymous ? ' anonymous' : ''}`, 'data-message-id': e.messageId },
    el('time', { datetime: e.timestamp, title: `received ${e.receivedAt}` }, dateTime(e.timestamp)),
    sourceBadge(e.source),
    anonymous ? el('span', { class: 'badge anon', title: `anonymous id ${text(field(e, 'anonymousId'))}` }, 'anonymous') : null,
    el('span', { class: 'type' }, type),
    el('span', { class: 'name' }, describe(e)),
    data && Object.keys(data).length ? el('code', { class: 'detail' }, JSON.stringify(data)) : null);
}

async function showTimeline(list: HTMLOListElement, more: HTMLButtonElement, userId: string, after: string | null): Promise<void> {
  const page = await getJson<Timeline>(`${userPath(userId)}/events`, after ? { limit: PAGE, after } : { limit: PAGE });
  for (const e of page.events) list.appendChild(timelineRow(e));
  more.hidden = !page.after;
  more.onclick = () => showTimeline(list, more, userId, page.after).catch((error: unknown) => more.replaceWith(el('p', { class: 'error' }, messageOf(error))));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The profile's erase button (README "Erasure"): asks first, then erases
 * the user with every anonymous id linked to them, and shows what went.
 */
function eraseButton(container: Element, user: UserProfile): HTMLElement {
  const button = el('button', { type: 'button', class: 'erase' }, 'Erase this user…');
  // Not `.error` until there is one: the page shows no error box while all is well.
  const note = el('span', { class: 'erase-note' });
  button.onclick = async () => {
    const devices = user.anonymousIds.length ? ` and the ${plural(user.anonymousIds.length, 'anonymous id')} linked to them` : '';
    if (!window.confirm(`Erase user ${user.userId}${devices}? Their events, traits, links and company membership are deleted for good, and later messages naming these ids are refused.`)) return;
    button.disabled = true;
    try {
      const { erased } = await deleteJson<ErasureAnswer>(userPath(user.userId));
      replace(container,
        el('h3', null, el('span', { class: 'kind' }, 'User '), el('span', { class: 'id' }, user.userId)),
        el('p', { class: 'erased' }, `Erased: ${plural(erased.events, 'event')}, ${plural(erased.anonymousIds, 'anonymous id')}. Messages naming them are refused from now on.`));
      const detail: ErasedDetail = { userIds: [user.userId], anonymousIds: user.anonymousIds };
      window.dispatchEvent(new CustomEvent(ERASED_EVENT, { detail }));
    } catch (error) {
      button.disabled = false;
      note.className = 'erase-note error';
      note.textContent = ` ${messageOf(error)}`;
    }
  };
  return el('p', { class: 'actions' }, button, note);
}

export async function showUser(container: Element, userId: string): Promise<void> {
  replace(container, el('p', { class: 'muted' }, 'Loading…'));
  const user = await getJson<UserProfile>(userPath(userId));
  const list = el('ol', { class: 'timeline' });
  const more = el('button', { type: 'button', class: 'more', hidden: true }, 'Later events');
  replace(container,
    el('h3', null, el('span', { class: 'kind' }, 'User '), el('span', { class: 'id' }, user.userId),
      user.flags.map((flag) => el('span', { class: 'flag', title: 'more anonymous ids than the limit were linked to this user within the window' }, flag))),
    // A download by link, so the token (if any) rides in the URL, as for the event stream.
    el('p', { class: 'export' }, el('a', { class: 'export', href: apiUrl(`${userPath(user.userId)}/export`, null, true), download: '' }, 'Export'),
      el('span', { class: 'muted' }, ' everything held on this user, as NDJSON (for an access request)')),
    facts([
      ['Company', user.companyId ? companyLink(user.companyId) : '—'],
      ['Events', `${user.eventCount} (web ${user.sources.web}, api ${user.sources.api})`],
      ['First seen', user.firstSeen ? dateTime(user.firstSeen) : '—'],
      ['Last seen', user.lastSeen ? dateTime(user.lastSeen) : '—'],
      ['Anonymous ids', user.anonymousIds.length ? el('ul', { class: 'ids' }, user.anonymousIds.map((id) => el('li', null, id))) : '—'],
    ]),
    el('h4', null, 'Traits'), traitTable(user.traits),
    el('h4', null, 'Timeline ', el('span', { class: 'legend' }, el('span', { class: 'badge anon' }, 'anonymous'), ' arrived before the visitor was identified')),
    list, more,
    eraseButton(container, user));
  await showTimeline(list, more, userId, null);
}

export async function showCompany(container: Element, companyId: string): Promise<void> {
  replace(container, el('p', { class: 'muted' }, 'Loading…'));
  const company = await getJson<CompanyProfile>(companyPath(companyId));
  replace(container,
    el('h3', null, el('span', { class: 'kind' }, 'Company '), el('span', { class: 'id' }, company.companyId)),
    facts([
      ['Events', `${company.eventCount} (its users, web and API)`],
      ['Users', company.userIds.length ? el('ul', { class: 'ids' }, company.userIds.map((id) => el('li', null, userLink(id)))) : '—'],
    ]),
    el('h4', null, 'Traits'), traitTable(company.traits));
}
