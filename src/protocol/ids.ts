/**
 * User and company id validation, shared by the browser SDK, the server
 * integration and the collector so all three refuse exactly the same ids.
 *
 * The deny list follows Fullstory's identify rules (values people pass when
 * they do not actually know who the user is) plus the common placeholders seen
 * in analytics pipelines. See README "Browser API".
 */

/** The placeholders (lower case, unquoted), and anything that starts with `__`. */
const PLACEHOLDER_ID =
  /^(0|1|-1|nan|n\/a|undefined|null|nil|none|anonymous|guest|\[object object\]|true|false|id|email|distinctid|distinct_id|not_authenticated|anon|00000000-0000-0000-0000-000000000000)$|^__/;

/** Longest id accepted; longer values are almost always a serialised object or a token. */
export const MAX_ID_LENGTH = 255;

/** Why {@link checkId} refused an id: a short name, which the browser's production build logs as it is. */
export type IdProblem = 'not-a-string' | 'empty' | 'too-long' | 'placeholder';

/** The outcome of {@link checkId}: the normalised id, or what is wrong with it ({@link describeIdProblem} says it in words). */
export type IdCheck = { ok: true; id: string } | { ok: false; problem: IdProblem };

/**
 * What is wrong with a user or company id, or `undefined` when nothing is: then the id is
 * `String(value)`. The browser SDK asks this, without {@link checkId}'s objects (fewer bytes).
 */
export function idProblem(value: unknown): IdProblem | undefined {
  // Number.isFinite is false for anything but a finite number.
  const id = Number.isFinite(value) ? String(value) : value;
  if (typeof id !== 'string') return 'not-a-string';
  // Zero-width characters: invisible, yet not removed by trim().
  const visible = id.replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '').trim();
  if (!visible) return 'empty';
  if (id.length > MAX_ID_LENGTH) return 'too-long';
  const bare = visible.toLowerCase().replace(/^(["'`])(.*)\1$/, '$2').trim();
  if (PLACEHOLDER_ID.test(bare)) return 'placeholder';
}

/**
 * Checks a user or company id. Numbers become strings; ids are case-sensitive
 * and otherwise kept exactly as given.
 */
export function checkId(value: unknown): IdCheck {
  const problem = idProblem(value);
  return problem ? { ok: false, problem } : { ok: true, id: String(value) };
}

/** What {@link IdProblem} means, said of `value` when given: "id " and this make the message. */
export function describeIdProblem(problem: IdProblem, value?: unknown): string {
  if (problem === 'not-a-string') return 'must be a string or number';
  if (problem === 'empty') return 'is empty';
  if (problem === 'too-long') return `is over ${MAX_ID_LENGTH} chars`;
  return value === undefined ? 'is a placeholder' : `"${String(value)}" is a placeholder`;
}
