/** The `API Call` message's properties (contract section 5) and the drop/mask options over them. */
import type { Properties } from '../protocol/messages.js';

/** The properties of every `API Call` message. */
export interface ApiCallProperties {
  method: string;
  /** The route template (`/users/:id`) where the framework knows it (Express, Fastify); null on plain node:http and for unmatched routes. */
  route: string | null;
  /** The request path, without the query string. */
  path: string;
  status: number;
  /** From the request's arrival at the middleware to the end of the response, in ms. */
  durationMs: number;
  /** From `Content-Length`; null for a chunked request body. */
  requestBytes: number | null;
  /** Body bytes written to the response. */
  responseBytes: number;
  /** Present (true) only when the client went away before the response finished. */
  aborted?: true;
}

/** What a masked field's value becomes. */
export const MASK = '[masked]';

/** The path without the query string or fragment. */
export const pathOf = (url: string | undefined): string => {
  if (!url) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
};

/** Applies `edit` to the value at a dotted path, copying each object on the way so the caller's objects stay untouched. */
function editAt(bag: Properties, path: readonly string[], edit: (parent: Properties, key: string) => void): Properties {
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.prototype.hasOwnProperty.call(bag, key)) return bag;
  const copy = { ...bag };
  if (!rest.length) edit(copy, key);
  else if (copy[key] && typeof copy[key] === 'object' && !Array.isArray(copy[key])) copy[key] = editAt(copy[key] as Properties, rest, edit);
  return copy;
}

const drop = (parent: Properties, key: string) => void delete parent[key];
const mask = (parent: Properties, key: string) => void (parent[key] = MASK);

/** Compiles `dropFields` and `maskFields` (names or dotted paths) into one function over a properties object. */
export function fieldFilter(dropFields: readonly string[], maskFields: readonly string[]): (properties: Properties) => Properties {
  const edits = [...dropFields.map((f) => [f.split('.'), drop] as const), ...maskFields.map((f) => [f.split('.'), mask] as const)];
  if (!edits.length) return (properties) => properties;
  return (properties) => edits.reduce((bag, [path, edit]) => editAt(bag, path, edit), properties);
}
