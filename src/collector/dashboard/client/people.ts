/**
 * The People view, where the dashboard opens: users (newest activity
 * first), companies, and visitors not yet identified, from
 * `GET /v1/users`, `/v1/companies` and `/v1/anonymous`, with a search box
 * (the start of an id, display name, email or company name) and pages
 * forward and back by the lists' cursors. A user or company opens its
 * profile (a `#user=` / `#company=` link). Every value is text, never markup.
 */
import type { AnonymousListing, CompanyListing, Page, UserListing } from '../../directory.js';
import { getJson, type Params } from './api.js';
import { companyLink, dateTime, el, messageOf, replace, userLink, type Child } from './dom.js';

/** Rows a page. */
const PAGE = 25;

export type PeopleList = 'users' | 'companies' | 'anonymous';

export interface PeopleParts {
  form: HTMLFormElement;
  container: HTMLElement;
  /** Asked when what is shown must be read again (a new list, query or page). */
  reload(): void;
}

const when = (iso: string | null) => (iso ? dateTime(iso) : '—');

function table(headings: readonly string[], rows: readonly Child[][]): HTMLTableElement {
  return el('table', { class: 'people' },
    el('thead', null, el('tr', null, headings.map((h) => el('th', null, h)))),
    el('tbody', null, rows.map((cells) => el('tr', null, cells.map((cell) => el('td', null, cell))))));
}

const usersTable = (users: UserListing[]) => table(['User', 'Name', 'Email', 'Company', 'Events', 'Devices', 'Last seen'], users.map((u) => [
  userLink(u.userId), u.displayName ?? '—', u.email ?? '—', u.companyId ? companyLink(u.companyId) : '—', u.eventCount, u.anonymousIds.length, when(u.lastSeen),
]));
const companiesTable = (companies: CompanyListing[]) => table(['Company', 'Name', 'Users'], companies.map((c) => [
  companyLink(c.companyId), c.name ?? '—', c.userCount,
]));
const anonymousTable = (visitors: AnonymousListing[]) => table(['Anonymous id', 'Company', 'Events', 'First seen', 'Last seen'], visitors.map((a) => [
  a.anonymousId, a.companyId ? companyLink(a.companyId) : '—', a.eventCount, when(a.firstSeen), when(a.lastSeen),
]));

const EMPTY: Record<PeopleList, string> = {
  users: 'No users yet: they appear once an identify names them.',
  companies: 'No companies yet: they appear once a group call names them.',
  anonymous: 'No anonymous visitors: every visitor seen so far was identified.',
};

/**
 * The view's state and its load, for a refresher (refresher.ts): the list,
 * the query and the page in the form and the pager, read when the load runs.
 */
export function peopleView({ form, container, reload }: PeopleParts): () => Promise<void> {
  // The cursor of each page shown so far (null: the first), the current one last.
  let pages: (string | null)[] = [null];
  let shown = '';
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const state = () => {
    const list = (new FormData(form).get('list') as PeopleList | null) ?? 'users';
    const query = list === 'anonymous' ? '' : field('query').value.trim();
    return { list, query, after: pages[pages.length - 1] ?? null };
  };
  const restart = () => {
    pages = [null];
    reload();
  };
  let typing: number | undefined;
  field('query').addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(restart, 250);
  });
  form.addEventListener('change', (event) => {
    if ((event.target as HTMLInputElement).name === 'list') restart();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    window.clearTimeout(typing);
    restart();
  });

  return async () => {
    const asked = state();
    const key = JSON.stringify(asked);
    const params: Record<string, string | number> = { limit: PAGE };
    if (asked.query) params.query = asked.query;
    if (asked.after) params.after = asked.after;
    field('query').disabled = asked.list === 'anonymous';
    try {
      const answer = await getJson<Page<PeopleList, never> & Record<PeopleList, unknown[]>>(`v1/${asked.list}`, params as Params);
      // The form changed while this was read: the load that follows shows the new state.
      if (JSON.stringify(state()) !== key) return;
      const rows = answer[asked.list];
      const body = !rows.length
        ? el('p', { class: 'muted empty' }, asked.query ? `Nothing starts with “${asked.query}”.` : pages.length > 1 ? 'No more.' : EMPTY[asked.list])
        : asked.list === 'users' ? usersTable(rows as UserListing[])
          : asked.list === 'companies' ? companiesTable(rows as CompanyListing[]) : anonymousTable(rows as AnonymousListing[]);
      const previous = el('button', { type: 'button', class: 'previous', disabled: pages.length === 1 }, '← Previous');
      const next = el('button', { type: 'button', class: 'next', disabled: !answer.after }, 'Next →');
      previous.onclick = () => {
        pages.pop();
        reload();
      };
      next.onclick = () => {
        pages.push(answer.after);
        reload();
      };
      shown = key;
      replace(container, body, el('p', { class: 'pager' }, previous, ' ', el('span', { class: 'muted' }, `page ${pages.length}`), ' ', next));
    } catch (error) {
      if (shown !== key) replace(container, el('p', { class: 'error' }, messageOf(error)));
      else container.prepend(el('p', { class: 'error' }, messageOf(error)));
    }
  };
}
