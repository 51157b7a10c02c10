import { describe, expect, test } from 'vitest';
import { checkId, describeIdProblem, MAX_ID_LENGTH } from '../../src/protocol/ids';
import type { IdProblem } from '../../src/protocol/ids';

/** README "Browser API": placeholders that mean "we do not know who this is". */
const PLACEHOLDERS = [
  '0', '1', '-1', 'nan', 'n/a', 'undefined', 'null', 'nil', 'none', 'anonymous', 'guest', '[object object]',
  'true', 'false', 'id', 'email', 'distinctid', 'distinct_id', 'not_authenticated', 'anon',
  '00000000-0000-0000-0000-000000000000',
];

const upper = (s: string) => s.toUpperCase();
/** Alternating case: "null" → "NuLl". */
const mixed = (s: string) => [...s].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const VARIANTS: [string, (s: string) => string][] = [
  ['as is', (s) => s],
  ['upper case', upper],
  ['mixed case', mixed],
  ['capitalised', capitalised],
  ['in single quotes', (s) => `'${s}'`],
  ['in double quotes', (s) => `"${s}"`],
  ['upper case in double quotes', (s) => `"${upper(s)}"`],
  ['mixed case in single quotes', (s) => `'${mixed(s)}'`],
  ['padded with spaces', (s) => `  ${s}  `],
  ['padded with a tab and a newline', (s) => `\t${s}\n`],
  ['quoted, then padded', (s) => ` "${s}" `],
  ['padded inside the quotes', (s) => `' ${s} '`],
];

/** Refused, for `problem` when given, with a reason in words. */
function expectRefused(value: unknown, problem?: IdProblem): void {
  const check = checkId(value);
  expect(check.ok).toBe(false);
  if (check.ok) return;
  if (problem) expect(check.problem).toBe(problem);
  expect(describeIdProblem(check.problem, value).length).toBeGreaterThan(0);
}

describe('checkId refuses placeholders (README "Browser API")', () => {
  const cases = PLACEHOLDERS.flatMap((id) => VARIANTS.map(([how, make]) => [id, how, make(id)] as const));
  test.each(cases)('%s %s: %j', (_id, _how, value) => {
    expectRefused(value, 'placeholder');
  });

  test.each([0, 1, -1])('the number %d', (value) => {
    expectRefused(value, 'placeholder');
  });

  test('the number -0 (it reads as "0")', () => {
    expectRefused(-0);
  });

  test.each(['1.0', '1e0', '0x1'])('numeric spellings of placeholders are judged as written: %s is valid', (value) => {
    expect(checkId(value)).toEqual({ ok: true, id: value });
  });
});

describe('checkId refuses anything starting with "__"', () => {
  test.each(['__', '__proto__', '__user', '__42', '__ spaced', '__NULL__'])('%j', (value) => {
    expectRefused(value, 'placeholder');
  });

  test.each([' __user', '"__user"', "'__user'"])('even padded or quoted: %j', (value) => {
    expectRefused(value);
  });

  test.each(['_user', 'a__b', 'user__'])('a single underscore or one inside is fine: %j', (value) => {
    expect(checkId(value)).toEqual({ ok: true, id: value });
  });
});

describe('checkId refuses empty and invisible ids', () => {
  test.each([
    ['empty', ''],
    ['one space', ' '],
    ['spaces', '     '],
    ['tabs', '\t\t'],
    ['newlines', '\n\r\n'],
    ['mixed whitespace', ' \t\n\v\f '],
    ['non-breaking spaces', '\u00a0\u00a0'],
    ['zero-width space U+200B', '\u200b'],
    ['byte order mark U+FEFF', '\ufeff'],
    ['word joiner U+2060', '\u2060'],
    ['zero-width joiners U+200C U+200D', '\u200c\u200d'],
    ['soft hyphen U+00AD', '\u00ad'],
    ['all of them together', ' \u200b\t\ufeff\n\u2060 '],
  ])('%s', (_name, value) => {
    expectRefused(value, 'empty');
  });
});

describe('checkId refuses what is not a string or a finite number', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const throwingProxy = new Proxy({}, {
    get() { throw new Error('trap'); },
    getPrototypeOf() { throw new Error('trap'); },
    ownKeys() { throw new Error('trap'); },
  });
  test.each([
    ['null', null],
    ['undefined', undefined],
    ['true', true],
    ['false', false],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a BigInt', 42n],
    ['a symbol', Symbol('user')],
    ['a function', () => 'user_1'],
    ['an empty object', {}],
    ['an object with an id', { id: 'user_1' }],
    ['an object whose toString gives a valid id', { toString: () => 'user_1' }],
    ['a circular object', circular],
    ['a Proxy that throws on every trap', throwingProxy],
    ['an empty array', []],
    ['an array holding an id', ['user_1']],
    ['a String object', new String('user_1')],
    ['a Number object', new Number(42)],
    ['a Date', new Date(0)],
  ])('%s', (_name, value) => {
    expectRefused(value, 'not-a-string');
  });

  test(`a string longer than ${MAX_ID_LENGTH} characters`, () => {
    expectRefused('u'.repeat(MAX_ID_LENGTH + 1), 'too-long');
    expectRefused('u'.repeat(10 * 1024), 'too-long');
  });

  test(`a string of exactly ${MAX_ID_LENGTH} characters is valid`, () => {
    const id = 'u'.repeat(MAX_ID_LENGTH);
    expect(checkId(id)).toEqual({ ok: true, id });
  });
});

describe('checkId accepts real ids', () => {
  test.each([
    'user_1',
    'u_8f2k',
    'a',
    '2',
    '-2',
    '10',
    'ada@example.com',
    'auth0|5f7c8ec7c33c6c004bbafe82',
    'org:acme:user:42',
    'urn:uuid:123e4567-e89b-42d3-a456-426614174000',
    '123e4567-e89b-42d3-a456-426614174000',
    'ユーザー',
    'Zoë Ølsen',
    '用户_42',
    '👩‍💻 dev',
    'null-pointer',
    'guest_42',
    'anonymous coward',
    'nullable',
    'identity',
    'emails',
    '"quoted user"',
  ])('%j', (value) => {
    expect(checkId(value)).toEqual({ ok: true, id: value });
  });

  test('ids are kept exactly as given, inner spaces included', () => {
    expect(checkId('Ada Lovelace')).toEqual({ ok: true, id: 'Ada Lovelace' });
  });

  test.each([
    [42, '42'],
    [2, '2'],
    [-7, '-7'],
    [3.5, '3.5'],
    [1e21, '1e+21'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('the number %d becomes the string %j', (value, id) => {
    expect(checkId(value)).toEqual({ ok: true, id });
  });

  test('ids are case-sensitive: "User" and "user" are both valid and stay distinct', () => {
    const upperCase = checkId('User');
    const lowerCase = checkId('user');
    expect(upperCase).toEqual({ ok: true, id: 'User' });
    expect(lowerCase).toEqual({ ok: true, id: 'user' });
  });
});
