/** The pure rules under the collector: clock skew, sources, mega-user windows, trait merging, the funnel's principal ranges. */
import { describe, expect, it } from 'vitest';
import { correctedTimestamp, MAX_FUTURE_MS, parseTimestamp } from '../../src/collector/clock.js';
import { principalRanges } from '../../src/collector/funnel.js';
import { isMegaUser, mergeTraits } from '../../src/collector/identity.js';
import { sourceOf } from '../../src/collector/source.js';

const H = 3_600_000;

describe('clock skew correction', () => {
  const received = Date.parse('2024-06-01T12:00:00.000Z');
  it.each([
    ['client 1 h behind, sent 5 s after the call', received - H - 5000, received - H, received - 5000],
    ['client 1 h ahead', received + H - 5000, received + H, received - 5000],
    ['no sentAt: the original time', received - 10_000, null, received - 10_000],
    ['no timestamp: receivedAt', null, received, received],
    ['more than a day in the future: receivedAt', received + MAX_FUTURE_MS + 1, null, received],
    ['exactly a day ahead is believed', received + MAX_FUTURE_MS, null, received + MAX_FUTURE_MS],
    ['a correction past the range of Date: receivedAt', -8.64e15, 8.64e15, received],
  ])('%s', (_name, original, sentAt, expected) => {
    expect(correctedTimestamp(received, original, sentAt)).toBe(expected);
  });

  it('parses ISO 8601 only', () => {
    expect(parseTimestamp('2024-06-01T12:00:00Z')).toBe(received);
    expect(parseTimestamp('2024-06-01T14:00:00+02:00')).toBe(received);
    for (const bad of ['yesterday', 1717243200000, '', 'June 1 2024', '2024-13-45T00:00:00Z', null]) expect(parseTimestamp(bad), String(bad)).toBeNull();
  });
});

describe('sourceOf', () => {
  it.each([
    ['idstitch', 'web'], ['idstitch-node', 'api'], ['analytics.js', 'web'], ['analytics-next', 'web'],
    ['analytics-ios', 'web'], ['analytics-android', 'web'], ['analytics-react-native', 'web'],
    ['analytics-node', 'api'], ['@segment/analytics-node', 'api'], ['analytics-python', 'api'], ['analytics-ruby', 'api'],
    ['analytics-go', 'api'], ['analytics-java', 'api'], ['analytics-php', 'api'], ['Analytics.NET', 'api'],
    ['javascript-thing', 'web'], [undefined, 'api'], ['', 'api'], [42, 'api'],
  ])('%s → %s', (name, source) => {
    expect(sourceOf(name)).toBe(source);
  });
});

describe('isMegaUser', () => {
  it('flags more than the limit within any window', () => {
    expect(isMegaUser([0, 1, 2], 3, H)).toBe(false);
    expect(isMegaUser([0, 1, 2, 3], 3, H)).toBe(true);
    expect(isMegaUser([0, H, 2 * H, 3 * H], 3, H)).toBe(false);
    expect(isMegaUser([0, 5 * H, 5 * H + 1, 5 * H + 2, 5 * H + 3], 3, H)).toBe(true);
  });
});

describe('mergeTraits', () => {
  it('keeps the newest value per key and never touches prototypes', () => {
    const traits = mergeTraits([
      { key: 'plan', value: '"free"', ts: 1 }, { key: 'plan', value: '"pro"', ts: 2 }, { key: 'seats', value: '3', ts: 0 },
      { key: '__proto__', value: '{"polluted":true}', ts: 5 },
    ]);
    expect(traits.plan).toBe('pro');
    expect(traits.seats).toBe(3);
    expect(Object.getPrototypeOf(traits)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('principalRanges', () => {
  it.each([
    [1, 1_000_000, 2],
    [800_001, 1_400_000, 2],
    [5, 9, 4],
    [3, 4, 4],
    [7, 7, 2],
    [0, 0, 1],
    [10, 1000, 3],
  ])('ids %i to %i in %i parts: every id from 0 up in exactly one range, the widths within one of each other', (min, max, parts) => {
    const ranges = principalRanges(min, max, parts);
    expect(ranges).toHaveLength(Math.min(parts, max - min + 1));
    expect(ranges[0]!.from).toBe(0);
    expect(ranges.at(-1)!.to).toBeNull();
    ranges.slice(1).forEach((range, i) => expect(range.from).toBe(ranges[i]!.to));
    // The ids from min to max, counted per range: each range holds some, and no two differ by more than one.
    const held = ranges.map((r) => Math.min(r.to ?? max + 1, max + 1) - Math.max(r.from, min));
    expect(held.reduce((a, b) => a + b, 0)).toBe(max - min + 1);
    expect(Math.max(...held) - Math.min(...held)).toBeLessThanOrEqual(1);
  });
});
