export { eventually } from '../support/poll.js';

/** GETs a JSON path of the collector's query API. */
export async function getJson<T = any>(base: string, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(base + path);
  return { status: response.status, body: (await response.json()) as T };
}
