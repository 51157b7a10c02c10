/**
 * The dashboard's access to the query API. A `?token=` on the page's URL goes
 * along: as a Bearer header on fetches, and in the URL of the event stream
 * (EventSource cannot send headers). Paths are relative, so the dashboard
 * also works under a proxy prefix.
 */
const token = new URLSearchParams(location.search).get('token');

export type Params = Readonly<Record<string, string | number>>;

/** The URL of an API path with its parameters; the token only when asked (the event stream). */
export function apiUrl(path: string, params: Params | null, withToken: boolean): string {
  const query = new URLSearchParams(Object.entries(params ?? {}).map(([key, value]) => [key, String(value)]));
  if (withToken && token) query.set('token', token);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** An answer other than 2xx; the message is the collector's reason. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** GETs JSON; throws an ApiError whose message is the collector's reason. The answer's type is the caller's word. */
export function getJson<T>(path: string, params: Params | null = null): Promise<T> {
  return requestJson<T>('GET', path, params);
}

/** DELETEs (an erasure) and reads the JSON answer, as {@link getJson}. */
export function deleteJson<T>(path: string): Promise<T> {
  return requestJson<T>('DELETE', path, null);
}

async function requestJson<T>(method: 'GET' | 'DELETE', path: string, params: Params | null): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(apiUrl(path, params, false), { method, headers, cache: 'no-store' });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = (body as { reason?: unknown } | null)?.reason;
    throw new ApiError(typeof reason === 'string' ? reason : `HTTP ${response.status}`, response.status);
  }
  return body as T;
}

export const userPath = (userId: string) => `v1/users/${encodeURIComponent(userId)}`;
export const companyPath = (companyId: string) => `v1/companies/${encodeURIComponent(companyId)}`;

/** The live event stream. */
export function liveStream(): EventSource {
  return new EventSource(apiUrl('v1/live', null, true));
}

/**
 * Fired on `window` once an erasure is committed, with the ids it removed:
 * the live log drops their events, the other sections read the API again.
 */
export const ERASED_EVENT = 'idstitch:erased';
export interface ErasedDetail {
  userIds: string[];
  anonymousIds: string[];
}
