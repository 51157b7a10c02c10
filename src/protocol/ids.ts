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

/** The outcome of {@link checkId}: the normalised id, or why it was refused. */
export type IdCheck = { ok: true; id: string } | { ok: false; reason: string };

/**
 * Checks a user or company id. Numbers become strings; ids are case-sensitive
 * and otherwise kept exactly as given.
 */
export function checkId(value: unknown): IdCheck {
  // Number.isFinite is false for anything but a finite number.
  const id = Number.isFinite(value) ? String(value) : value;
  if (typeof id !== 'string') return { ok: false, reason: 'must be a string or number' };
  // Zero-width characters: invisible, yet not removed by trim().
  const visible = id.replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '').trim();
  if (!visible) return { ok: false, reason: 'is empty' };
  if (id.length > MAX_ID_LENGTH) return { ok: false, reason: `is over ${MAX_ID_LENGTH} chars` };
  const bare = visible.toLowerCase().replace(/^(["'`])(.*)\1$/, '$2').trim();
  if (PLACEHOLDER_ID.test(bare)) return { ok: false, reason: `"${id}" is a placeholder` };
  return { ok: true, id };
}
