/**
 * A random UUID v4 (RFC 9562 §5.4): one hex digit per random byte, the
 * version digit fixed at 4 and the variant digit 8 to b. `crypto.randomUUID`
 * exists only in secure contexts; `getRandomValues` works on plain http too.
 * Replaces the `uuid` package in the browser build, where it cost about 400 B.
 */
export function uuid(): string {
  const random = crypto.getRandomValues(new Uint8Array(31));
  let i = 0;
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (digit) => (+digit ^ (random[i++]! & (15 >> (+digit / 4)))).toString(16));
}
