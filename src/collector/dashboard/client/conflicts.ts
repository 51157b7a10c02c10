/**
 * Identity conflicts: the refused links of `GET /v1/conflicts`. An anonymous
 * id kept by one user that another tried to claim, or a browser that named a
 * user without a valid identity token (verification on).
 */
import type { Conflict } from '../../query.js';
import { getJson } from './api.js';
import { dateTime, el, messageOf, replace, userLink } from './dom.js';

const PAGE = 100;
const REASONS: Record<string, string> = { relinked: 'linked to another user', unverified: 'no valid identity token' };

export function conflictsLoader(container: Element): () => Promise<void> {
  return async () => {
    try {
      const rows: Conflict[] = [];
      let after: string | null = '0';
      // All pages, up to a few hundred conflicts: a longer list is a problem to look at elsewhere.
      for (let page = 0; page < 5 && after !== null; page++) {
        const answer: { conflicts: Conflict[]; after: string | null } = await getJson('v1/conflicts', { limit: PAGE, after });
        rows.push(...answer.conflicts);
        after = answer.after;
      }
      if (!rows.length) {
        replace(container, el('p', { class: 'muted' }, 'No conflicts: no anonymous id was claimed by two users or without a valid token.'));
        return;
      }
      replace(container, el('table', { class: 'conflicts' },
        el('thead', null, el('tr', null, el('th', null, 'When'), el('th', null, 'Anonymous id'), el('th', null, 'Kept by'), el('th', null, 'Refused for'), el('th', null, 'Why'))),
        el('tbody', null, rows.reverse().map((c) => el('tr', null,
          el('td', null, dateTime(c.at)), el('td', null, c.anonymousId), el('td', null, c.userId === null ? '—' : userLink(c.userId)),
          el('td', null, userLink(c.attemptedUserId)), el('td', null, REASONS[c.reason] ?? c.reason))))),
        after !== null ? el('p', { class: 'muted' }, `Showing the first ${rows.length}.`) : null);
    } catch (error) {
      replace(container, el('p', { class: 'error' }, messageOf(error)));
    }
  };
}
