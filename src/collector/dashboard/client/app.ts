/**
 * The dashboard's entry module (served as `dashboard/app.js`): wires the
 * sections together. Profiles open from `#user=<id>` / `#company=<id>`, so
 * links in the log and the timeline are plain anchors; data refreshes when
 * the live stream brings events (pushed, not polled).
 */
export const appJs = String.raw`
import { el, replace, throttle } from './dom.js';
import { getJson } from './api.js';
import { startLive } from './live.js';
import { showUser, showCompany } from './profile.js';
import { setupFunnel } from './funnel.js';
import { setupChart } from './chart.js';
import { setupConflicts } from './conflicts.js';

const $ = (id) => document.getElementById(id);

async function refreshStats() {
  try {
    const stats = await getJson('v1/stats');
    replace($('stats'), [
      ['events', stats.events], ['users', stats.users], ['identified', stats.identifiedUsers], ['anonymous', stats.anonymousVisitors],
    ].map(([name, value]) => el('div', null, el('dt', null, name), el('dd', null, String(value)))));
  } catch (error) {
    replace($('stats'), el('span', { class: 'error' }, error.message));
  }
}

async function openProfile() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const container = $('profile');
  const lookup = $('lookup');
  const kind = hash.has('user') ? 'user' : hash.has('company') ? 'company' : null;
  if (!kind) {
    replace(container, el('p', { class: 'muted' }, 'Pick a user or company in the log, or look one up.'));
    return;
  }
  const id = hash.get(kind);
  lookup.elements.kind.value = kind;
  lookup.elements.id.value = id;
  try {
    await (kind === 'user' ? showUser(container, id) : showCompany(container, id));
  } catch (error) {
    replace(container, el('p', { class: 'error' }, error.message));
  }
}

function start() {
  refreshStats();
  const refreshChart = setupChart($('chart-range'), $('chart'));
  const refreshFunnel = setupFunnel($('funnel-form'), $('funnel'));
  const refreshConflicts = setupConflicts($('conflicts'));
  // The funnel and the chart read many events: under steady traffic they refresh less often than the counts.
  const refreshers = [throttle(refreshStats, 1000), throttle(refreshChart, 2000), throttle(refreshConflicts, 3000), throttle(refreshFunnel, 5000)];
  const onEvents = () => refreshers.forEach((refresh) => refresh());
  startLive({ log: $('live-log'), form: $('live-filters'), note: $('live-note'), status: $('status'), onEvents });

  $('lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const id = String(data.get('id') || '').trim();
    if (id) location.hash = data.get('kind') + '=' + encodeURIComponent(id);
  });
  window.addEventListener('hashchange', openProfile);
  openProfile();
}

start();
`;
