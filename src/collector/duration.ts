/** Milliseconds per unit of a duration such as `30m`, `24h` or `7d`. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses `<integer><unit>` (`ms`, `s`, `m`, `h`, `d`, `w`), e.g. `7d`, into
 * milliseconds. Returns `null` when the text is not such a duration or is zero.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms > 0 ? ms : null;
}
