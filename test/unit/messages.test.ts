import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { MESSAGES } from '../../src/browser/messages';

// jsdom's URL is not Node's: the path is resolved from this file's own.
const README = readFileSync(fileURLToPath(new URL('../../README.md', `file://${__filename}`)), 'utf8');
const section = README.slice(README.indexOf('## Warnings and errors'), README.indexOf('## Consent'));

describe('README "Warnings and errors" documents every message', () => {
  test.each(Object.keys(MESSAGES!))('%s has a row', (key) => {
    expect(section).toMatch(new RegExp(`^\\| \`${key}\``, 'm'));
  });

  test('and no row names a key the SDK does not have', () => {
    const rows = [...section.matchAll(/^\| `([a-z-]+)`/gm)].map((match) => match[1]);
    expect(rows.sort()).toEqual(Object.keys(MESSAGES!).sort());
  });
});
