/**
 * The dashboard's access to the query API (served as `dashboard/api.js`).
 * A `?token=` on the page's URL goes along: as a Bearer header on fetches,
 * and in the URL of the event stream (EventSource cannot send headers).
 * Paths are relative, so the dashboard also works under a proxy prefix.
 */
export const apiJs = String.raw`
const token = new URLSearchParams(location.search).get('token');

/** The URL of an API path with its parameters; the token only when asked (the event stream). */
export function apiUrl(path, params, withToken) {
  const query = new URLSearchParams(params || {});
  if (withToken && token) query.set('token', token);
  const text = query.toString();
  return path + (text ? '?' + text : '');
}

/** GETs JSON; throws an Error whose message is the collector's reason. */
export async function getJson(path, params) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(apiUrl(path, params, false), { headers, cache: 'no-store' });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((body && body.reason) || 'HTTP ' + response.status);
    error.status = response.status;
    throw error;
  }
  return body;
}

export const userPath = (userId) => 'v1/users/' + encodeURIComponent(userId);
export const companyPath = (companyId) => 'v1/companies/' + encodeURIComponent(companyId);

/** The live event stream. */
export function liveStream() {
  return new EventSource(apiUrl('v1/live', null, true));
}
`;
