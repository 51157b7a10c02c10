/**
 * User and company profiles (served as `dashboard/profile.js`). A user's
 * profile has its stitched timeline, oldest first: events that arrived with
 * only an anonymous id (before identify, or from a device not yet logged
 * in) are marked anonymous, and each event says whether it came from the
 * web or the API.
 */
export const profileJs = String.raw`
import { el, replace, dateTime, show, sourceBadge, userLink, companyLink } from './dom.js';
import { getJson, userPath, companyPath } from './api.js';

const PAGE = 200;

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(Boolean).map(([term, value]) => [el('dt', null, term), el('dd', null, value)]));
}

function traitTable(traits) {
  const keys = Object.keys(traits || {}).sort();
  if (!keys.length) return el('p', { class: 'muted' }, 'No traits.');
  return el('table', { class: 'traits' },
    el('tbody', null, keys.map((key) => el('tr', null, el('th', null, key), el('td', null, show(traits[key]))))));
}

function describe(e) {
  if (e.type === 'track') return e.event;
  if (e.type === 'page' || e.type === 'screen') return show((e.properties && (e.properties.path || e.properties.url)) || e.name || '');
  if (e.type === 'identify') return 'identified as ' + e.userId;
  if (e.type === 'group') return 'joined ' + e.groupId;
  if (e.type === 'alias') return e.previousId + ' → ' + e.userId;
  return '';
}

function timelineRow(e) {
  const anonymous = !e.userId;
  const data = e.type === 'identify' || e.type === 'group' ? e.traits : e.properties;
  return el('li', { class: 'event type-' + e.type + (anonymous ? ' anonymous' : ''), 'data-message-id': e.messageId },
    el('time', { datetime: e.timestamp, title: 'received ' + e.receivedAt }, dateTime(e.timestamp)),
    sourceBadge(e.source),
    anonymous ? el('span', { class: 'badge anon', title: 'anonymous id ' + e.anonymousId }, 'anonymous') : null,
    el('span', { class: 'type' }, e.type),
    el('span', { class: 'name' }, describe(e)),
    data && Object.keys(data).length ? el('code', { class: 'detail' }, JSON.stringify(data)) : null);
}

async function showTimeline(list, more, userId, after) {
  const page = await getJson(userPath(userId) + '/events', after ? { limit: PAGE, after } : { limit: PAGE });
  for (const e of page.events) list.appendChild(timelineRow(e));
  more.hidden = !page.after;
  more.onclick = () => showTimeline(list, more, userId, page.after).catch((error) => more.replaceWith(el('p', { class: 'error' }, error.message)));
}

export async function showUser(container, userId) {
  replace(container, el('p', { class: 'muted' }, 'Loading…'));
  const user = await getJson(userPath(userId));
  const list = el('ol', { class: 'timeline' });
  const more = el('button', { type: 'button', class: 'more', hidden: true }, 'Later events');
  replace(container,
    el('h3', null, el('span', { class: 'kind' }, 'User '), el('span', { class: 'id' }, user.userId),
      user.flags.map((flag) => el('span', { class: 'flag', title: 'more anonymous ids than the limit were linked to this user within the window' }, flag))),
    facts([
      ['Company', user.companyId ? companyLink(user.companyId) : '—'],
      ['Events', user.eventCount + ' (web ' + user.sources.web + ', api ' + user.sources.api + ')'],
      ['First seen', user.firstSeen ? dateTime(user.firstSeen) : '—'],
      ['Last seen', user.lastSeen ? dateTime(user.lastSeen) : '—'],
      ['Anonymous ids', user.anonymousIds.length ? el('ul', { class: 'ids' }, user.anonymousIds.map((id) => el('li', null, id))) : '—'],
    ]),
    el('h4', null, 'Traits'), traitTable(user.traits),
    el('h4', null, 'Timeline ', el('span', { class: 'legend' }, el('span', { class: 'badge anon' }, 'anonymous'), ' arrived before the visitor was identified')),
    list, more);
  await showTimeline(list, more, userId, null);
}

export async function showCompany(container, companyId) {
  replace(container, el('p', { class: 'muted' }, 'Loading…'));
  const company = await getJson(companyPath(companyId));
  replace(container,
    el('h3', null, el('span', { class: 'kind' }, 'Company '), el('span', { class: 'id' }, company.companyId)),
    facts([
      ['Events', String(company.eventCount) + ' (its users, web and API)'],
      ['Users', company.userIds.length ? el('ul', { class: 'ids' }, company.userIds.map((id) => el('li', null, userLink(id)))) : '—'],
    ]),
    el('h4', null, 'Traits'), traitTable(company.traits));
}
`;
