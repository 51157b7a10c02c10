/**
 * Prefix search without patterns, the same on both databases: a query is
 * case-folded for A-Z only, as `lower()` folds on SQLite and on PostgreSQL
 * under the C collation (store/peopleSchema.ts), and becomes a range of an
 * index of folded text, compared byte by byte; no character acts as a
 * wildcard or an escape.
 */

/** A query's case folding: A-Z only, as `lower()` on both databases (see store/peopleSchema.ts). */
export const foldCase = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The range of folded texts that start with `prefix` (already folded):
 * from the prefix itself to the prefix with its last code point one higher,
 * exclusive (null: no end). Byte order of UTF-8 is code point order, so no
 * other text falls between; nothing in the prefix acts as a pattern.
 */
export function prefixRange(prefix: string): { from: string; to: string | null } {
  const points = Array.from(prefix);
  while (points.length) {
    let next = points.pop()!.codePointAt(0)! + 1;
    if (next === 0xd800) next = 0xe000; // past the surrogates, which UTF-8 has no bytes for
    if (next <= 0x10ffff) return { from: prefix, to: points.join('') + String.fromCodePoint(next) };
  }
  return { from: prefix, to: null };
}

/**
 * A query as the range of the kept JSON text of a string trait: `"` and the
 * folded prefix as JSON writes it (each character's JSON form is a prefix of
 * no other's, so a string starts with the prefix exactly when its JSON does).
 */
export const jsonPrefix = (folded: string): string => JSON.stringify(folded).slice(0, -1);
