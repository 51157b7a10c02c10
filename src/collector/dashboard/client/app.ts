/**
 * The dashboard's entry module, bundled into `dashboard/app.js` (see
 * ../clientScript.ts): wires the sections together. Profiles open from
 * `#user=<id>` / `#company=<id>`, so links in the log and the timeline are
 * plain anchors. The log is pushed; the other sections re-read the API when
 * the log brings events, under the rules of refresher.ts.
 */
import type { Stats } from '../../query.js';
import { ERASED_EVENT, getJson } from './api.js';
import { chartLoader } from './chart.js';
import { conflictsLoader } from './conflicts.js';
import { byId, el, messageOf, replace } from './dom.js';
import { funnelLoader } from './funnel.js';
import { peopleView } from './people.js';
import { startLive } from './live.js';
import { showCompany, showUser } from './profile.js';
import { refresher, type Refresher } from './refresher.js';

async function loadStats(): Promise<void> {
  const container = byId('stats');
  try {
    const stats = await getJson<Stats>('v1/stats');
    const shown: [string, number][] = [['events', stats.events], ['users', stats.users], ['identified', stats.identifiedUsers], ['anonymous', stats.anonymousVisitors]];
    replace(container, shown.map(([name, value]) => el('div', null, el('dt', null, name), el('dd', null, String(value)))));
  } catch (error) {
    replace(container, el('span', { class: 'error' }, messageOf(error)));
  }
}

async function openProfile(): Promise<void> {
  const hash = new URLSearchParams(location.hash.slice(1));
  const container = byId('profile');
  const lookup = byId<HTMLFormElement>('lookup');
  const kind = hash.has('user') ? 'user' : hash.has('company') ? 'company' : null;
  if (!kind) {
    replace(container, el('p', { class: 'muted' }, 'Pick a user or company in the log, or look one up.'));
    return;
  }
  const id = hash.get(kind) ?? '';
  (lookup.elements.namedItem('kind') as HTMLSelectElement).value = kind;
  (lookup.elements.namedItem('id') as HTMLInputElement).value = id;
  try {
    await (kind === 'user' ? showUser(container, id) : showCompany(container, id));
  } catch (error) {
    replace(container, el('p', { class: 'error' }, messageOf(error)));
  }
}

function start(): void {
  const chartRange = byId<HTMLSelectElement>('chart-range');
  const funnelForm = byId<HTMLFormElement>('funnel-form');
  // The funnel and the chart read many events: under steady traffic they refresh less often than the counts.
  const stats = refresher(loadStats, 1000);
  const chart = refresher(chartLoader(chartRange, byId('chart')), 2000);
  const conflicts = refresher(conflictsLoader(byId('conflicts')), 3000);
  const funnel = refresher(funnelLoader(funnelForm, byId('funnel')), 5000);
  // The People view's own controls (list, search, pages) ask for a load through its refresher.
  const people: Refresher = refresher(peopleView({ form: byId<HTMLFormElement>('people-form'), container: byId('people'), reload: () => people.now() }), 2000);
  const sections = [stats, chart, conflicts, funnel, people];
  for (const section of sections) section.now();
  chartRange.addEventListener('change', chart.now);
  funnelForm.addEventListener('submit', (event) => {
    event.preventDefault();
    funnel.now();
  });
  startLive({
    log: byId('live-log'), form: byId<HTMLFormElement>('live-filters'), note: byId('live-note'), status: byId('status'),
    onEvents: () => sections.forEach((section) => section.changed()),
  });

  const lookup = byId<HTMLFormElement>('lookup');
  lookup.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(lookup);
    const id = String(data.get('id') ?? '').trim();
    if (id) location.hash = `${String(data.get('kind'))}=${encodeURIComponent(id)}`;
  });
  // Opened from a list or the log: the profile is further down the page.
  window.addEventListener('hashchange', () => void openProfile().then(() => byId('profile').closest('section')?.scrollIntoView({ block: 'start' })));
  // Counts, chart, funnel and conflicts all lost the erased rows.
  window.addEventListener(ERASED_EVENT, () => sections.forEach((section) => section.now()));
  void openProfile();
}

start();
