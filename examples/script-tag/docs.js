// The docs site's login, logout and API calls. `idstitch` is the global the
// snippet defined; calls made before the SDK has loaded are queued.

const $ = (selector) => document.querySelector(selector);

/**
 * Resolves once idstitch.min.js has replaced the snippet's stub. From then on
 * the anonymous-id cookie exists, so the server can stitch API calls to this
 * visitor; a call made before it, on a first visit, would be a stranger's.
 */
const sdkReady = new Promise((resolve) => {
  const check = () => (typeof idstitch.getAnonymousId === 'function' ? resolve() : setTimeout(check, 10));
  check();
});

/** Every API call of the page: after the SDK is ready, so that it carries the anonymous-id cookie. */
async function api(path, init) {
  await sdkReady;
  return fetch(path, init);
}

/** Shows the login form or who is logged in (by default: asks the app's own API). */
async function showAccount(user) {
  if (user === undefined) ({ user } = await api('/api/me').then((r) => r.json()));
  $('#login').hidden = Boolean(user);
  $('#account').hidden = !user;
  $('#who').textContent = user ? user.email : '';
}

/**
 * Login: the server checks the credentials and answers with the user id it
 * made with hmacUid(secret, email), the company, and an identity token
 * signed for that user id. Identifying links every
 * anonymous page view and API call of this browser to the user.
 */
async function login(email) {
  const response = await api('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  const { userId, companyId, company, identityToken } = await response.json();
  // The token the server signed for this user id: with it the collector believes the identify.
  idstitch.identifyUser(userId, { plan: 'team' }, { token: identityToken });
  idstitch.identifyCompany(companyId, company);
  idstitch.track('Logged In');
  await showAccount({ email });
  return { userId, companyId };
}

/**
 * Logout: end the app's session first (that call is still the user's), then
 * reset() to a new anonymous id. No API call after it: whoever uses this
 * browser next starts as a new visitor.
 */
async function logout() {
  await api('/api/logout', { method: 'POST' });
  idstitch.reset();
  await showAccount(null);
}

/** An API call: recorded by the server's idstitchMiddleware, stitched through the SDK's cookie. */
async function loadProjects() {
  const { projects } = await api('/api/projects').then((r) => r.json());
  $('#projects').replaceChildren(...projects.map((p) => Object.assign(document.createElement('li'), { textContent: p.name })));
  return projects.length;
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  void login(new FormData(event.target).get('email'));
});
$('#logout').addEventListener('click', () => void logout());
$('#load-projects')?.addEventListener('click', () => void loadProjects());
void showAccount();

// For scripted journeys (the e2e tests and the simulation).
window.example = { login, logout, loadProjects, ready: () => sdkReady };
