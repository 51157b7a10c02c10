/** Prefix search without patterns (src/collector/textPrefix.ts): folding, ranges, JSON prefixes. */
import { describe, expect, it } from 'vitest';
import { foldCase, jsonPrefix, prefixRange } from '../../src/collector/textPrefix.js';

const inRange = (text: string, prefix: string) => {
  const { from, to } = prefixRange(prefix);
  // UTF-8 byte order, as both databases compare the folded columns.
  const bytes = (s: string) => Buffer.from(s, 'utf8');
  return Buffer.compare(bytes(text), bytes(from)) >= 0 && (to === null || Buffer.compare(bytes(text), bytes(to)) < 0);
};

describe('foldCase', () => {
  it('folds A-Z only, as lower() does on SQLite and on PostgreSQL under the C collation', () => {
    expect(foldCase('ADA Lovelace_%\\\'"')).toBe('ada lovelace_%\\\'"');
    expect(foldCase('ÉMILE Straße İ')).toBe('Émile straße İ');
  });
});

describe('prefixRange', () => {
  it('ends where the prefix with its last code point one higher begins', () => {
    expect(prefixRange('ab')).toEqual({ from: 'ab', to: 'ac' });
    expect(prefixRange('50%')).toEqual({ from: '50%', to: '50&' });
    expect(prefixRange('a_')).toEqual({ from: 'a_', to: 'a`' });
    expect(prefixRange('x\u{10ffff}')).toEqual({ from: 'x\u{10ffff}', to: 'y' });
    expect(prefixRange('\u{10ffff}\u{10ffff}')).toEqual({ from: '\u{10ffff}\u{10ffff}', to: null });
    expect(prefixRange('a\ud7ff')).toEqual({ from: 'a\ud7ff', to: 'a\ue000' });
    expect(prefixRange('é')).toEqual({ from: 'é', to: 'ê' });
    expect(prefixRange('😀')).toEqual({ from: '😀', to: '😁' });
  });

  it('holds exactly the texts that start with the prefix, in byte order', () => {
    const texts = ['a', 'ab', 'ab\u0000', 'abz', 'ab\u{10ffff}x', 'ac', 'aa\u{10ffff}', 'b', '50%_off', '50%', '50x', '50&', 'a_b', 'axb', 'a\ud7ffz', 'a\ue000', '😀x', '😁'];
    for (const prefix of ['ab', '50%', 'a_', 'a\ud7ff', '😀', 'a', '']) {
      for (const text of texts) expect(inRange(text, prefix), `${JSON.stringify(text)} in ${JSON.stringify(prefix)}`).toBe(text.startsWith(prefix));
    }
  });
});

describe('jsonPrefix', () => {
  it('is the start of the JSON text of every string that starts with the prefix, and of no other', () => {
    expect(jsonPrefix('ada')).toBe('"ada');
    expect(jsonPrefix('say "hi" \\ now')).toBe('"say \\"hi\\" \\\\ now');
    for (const [text, prefix] of [['"quoted" name', '"quo'], ['back\\slash', 'back\\'], ['tab\there', 'tab\t'], ['x', 'x"'], ['a\\"b', 'a\\']] as const) {
      expect(JSON.stringify(text).startsWith(jsonPrefix(prefix)), `${text} / ${prefix}`).toBe(text.startsWith(prefix));
    }
  });
});
