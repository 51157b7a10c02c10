// A single-page app with the npm build of idstitch. The autoPage feature sends
// a page view on load and on every history change, so the router below needs
// no tracking code of its own.
import { autoPage, createTracker, linker } from '/dist/index.mjs';

const ROUTES = {
  '/app/': { title: 'Overview', render: overview },
  '/app/projects': { title: 'Projects', render: projects },
  '/app/settings': { title: 'Settings', render: settings },
};
const titleOf = (path) => `${(ROUTES[path] ?? ROUTES['/app/']).title} · Example app`;

// The title first: the page view autoPage sends on creation reads it.
document.title = titleOf(location.pathname);
// The linker: a visitor who follows a link here from the docs on another host (localhost) stays one visitor.
const tracker = createTracker({
  endpoint: 'http://127.0.0.1:8787/v1/batch',
  autoPage,
  linkDomains: linker(['localhost', '127.0.0.1', 'example.test', 'vendor.test']),
});

const view = document.querySelector('#view');
const paragraph = (text) => Object.assign(document.createElement('p'), { textContent: text });

function overview() {
  const userId = tracker.getUserId();
  view.replaceChildren(
    paragraph(userId ? `Identified as ${userId.slice(0, 12)}… in company ${tracker.getCompanyId()}.` : 'Anonymous: log in on the docs site, this app shares its identity.'),
    paragraph(`Anonymous id: ${tracker.getAnonymousId()}`),
  );
}

/** An API call: the server records it, stitched to this visitor through the SDK's cookie. */
async function projects() {
  view.replaceChildren(paragraph('Loading…'));
  const { projects: list } = await fetch('/api/projects').then((r) => r.json());
  const items = list.map((p) => Object.assign(document.createElement('li'), { textContent: p.name }));
  view.replaceChildren(Object.assign(document.createElement('ul'), { id: 'projects' }));
  view.firstChild.append(...items);
  return list.length;
}

function settings() {
  view.replaceChildren(paragraph('Nothing to set in this example.'));
  tracker.track('Settings Viewed');
}

/** Renders the current path; unknown paths show the overview. */
async function render() {
  const route = ROUTES[location.pathname] ?? ROUTES['/app/'];
  document.querySelector('#who').textContent = tracker.getUserId() ? 'Logged in' : 'Anonymous';
  document.querySelector('#logout').hidden = !tracker.getUserId();
  return route.render();
}

/** History routing: set the title first, since autoPage reads it when pushState fires. */
function navigate(path) {
  document.title = titleOf(path);
  history.pushState(null, '', path);
  return render();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (!link) return;
  event.preventDefault();
  void navigate(new URL(link.href).pathname);
});
addEventListener('popstate', () => void render());
document.querySelector('#logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST' });
  tracker.reset();
  await render();
});
void render();

// For scripted journeys (the e2e tests and the simulation).
window.app = { tracker, navigate };
