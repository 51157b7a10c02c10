import { describe, expect, test } from 'vitest';
import { autoPage } from '../../src/browser/autoPage';
import { resolveOptions } from '../../src/browser/options';
import type { ResolvedOptions } from '../../src/browser/options';

const endpoint = 'https://collect.example.com/v1/batch';

function resolved(input: Record<string, unknown>): ResolvedOptions {
  const result = resolveOptions({ endpoint, ...input });
  if (typeof result === 'string') throw new Error(`unexpected refusal: ${result}`);
  return result;
}

function refusal(input: unknown): string {
  const result = resolveOptions(input);
  expect(typeof result).toBe('string');
  return result as string;
}

describe('defaults (README "Browser API")', () => {
  const defaults = resolved({});
  test.each([
    ['batchSize', 20],
    ['flushInterval', 1000],
    ['maxBatchBytes', 32 * 1024],
    ['persistence', 'localStorage+cookie'],
    ['cookieExpiryDays', 365],
    ['sessionTimeout', 30 * 60 * 1000],
    ['autoPage', false],
    ['debug', false],
  ] as const)('%s is %j', (name, value) => {
    expect(defaults[name]).toBe(value);
  });

  test.each(['writeKey', 'cookieDomain', 'beforeSend', 'onError'] as const)('%s has no default', (name) => {
    expect(defaults[name]).toBeUndefined();
  });

  test('the endpoint is kept as given', () => {
    expect(defaults.endpoint).toBe(endpoint);
  });

  test('the default maxBatchBytes stays under the 64 KiB beacon limit', () => {
    expect(defaults.maxBatchBytes).toBeLessThan(64 * 1024);
  });

  test('explicit undefined means the default', () => {
    expect(resolved({ batchSize: undefined, persistence: undefined }).batchSize).toBe(20);
    expect(resolved({ batchSize: undefined, persistence: undefined }).persistence).toBe('localStorage+cookie');
  });

  test('each call gets its own object: changing one result does not change the next', () => {
    const first = resolved({});
    first.batchSize = 3;
    expect(resolved({}).batchSize).toBe(20);
  });
});

describe('valid values are kept', () => {
  const beforeSend = (m: never) => m;
  const onError = () => {};
  test.each([
    ['writeKey', 'wk_123'],
    ['batchSize', 1],
    ['batchSize', 2500],
    ['flushInterval', 0],
    ['flushInterval', 3_600_000],
    ['maxBatchBytes', 1024],
    ['maxBatchBytes', 64 * 1024 - 1],
    ['persistence', 'localStorage+cookie'],
    ['persistence', 'localStorage'],
    ['persistence', 'cookie'],
    ['persistence', 'memory'],
    ['cookieDomain', 'example.com'],
    ['cookieDomain', '.example.com'],
    ['cookieDomain', 'app.example.co.uk'],
    ['cookieExpiryDays', 0.001],
    ['cookieExpiryDays', 3650],
    ['sessionTimeout', 1000],
    ['sessionTimeout', 7 * 86_400_000],
    ['autoPage', false],
    ['autoPage', autoPage],
    ['debug', true],
    ['beforeSend', beforeSend],
    ['onError', onError],
  ])('%s = %s', (name, value) => {
    expect((resolved({ [name]: value }) as unknown as Record<string, unknown>)[name]).toBe(value);
  });

  test.each(['http://localhost:8787/v1/batch', 'https://collect.example.com/v1/batch', 'HTTPS://EXAMPLE.COM/'])(
    'endpoint %s',
    (url) => {
      expect((resolveOptions({ endpoint: url }) as ResolvedOptions).endpoint).toBe(url);
    },
  );
});

describe('invalid values are refused with a message naming the option', () => {
  test.each([
    ['writeKey', ''],
    ['writeKey', 42],
    ['batchSize', 0],
    ['batchSize', 2501],
    ['batchSize', '20'],
    ['batchSize', Number.NaN],
    ['flushInterval', -1],
    ['flushInterval', 3_600_001],
    ['flushInterval', Number.NaN],
    ['flushInterval', Number.POSITIVE_INFINITY],
    ['flushInterval', '1000'],
    ['maxBatchBytes', 1023],
    ['maxBatchBytes', 64 * 1024],
    ['maxBatchBytes', 1_000_000],
    ['persistence', 'sessionStorage'],
    ['persistence', 'LOCALSTORAGE'],
    ['persistence', ''],
    ['persistence', true],
    ['cookieDomain', ''],
    ['cookieDomain', 42],
    ['cookieExpiryDays', 0],
    ['cookieExpiryDays', -1],
    ['cookieExpiryDays', 3651],
    ['cookieExpiryDays', '365'],
    ['sessionTimeout', 999],
    ['sessionTimeout', 7 * 86_400_000 + 1],
    ['sessionTimeout', null],
    ['autoPage', true],
    ['autoPage', 'true'],
    ['autoPage', 1],
    ['debug', 'yes'],
    ['debug', null],
    ['beforeSend', 'function'],
    ['beforeSend', {}],
    ['onError', true],
    ['onError', null],
  ])('%s = %j', (name, value) => {
    expect(refusal({ endpoint, [name]: value })).toContain(`\`${name}\``);
  });

  test('the message says what is expected', () => {
    expect(refusal({ endpoint, persistence: 'x' })).toContain('memory');
    expect(refusal({ endpoint, batchSize: 0 })).toMatch(/1 to 2500/);
  });
});

describe('endpoint', () => {
  test('missing: the message says it is required', () => {
    const message = refusal({});
    expect(message).toContain('`endpoint`');
    expect(message).toMatch(/required/);
  });

  test.each([
    ['empty', ''],
    ['a path only', '/v1/batch'],
    ['no scheme', 'collect.example.com/v1/batch'],
    ['another scheme', 'ftp://collect.example.com/v1/batch'],
    ['a websocket', 'wss://collect.example.com/v1/batch'],
    ['a scheme without host', 'https:///v1/batch'],
    ['null', null],
    ['a number', 8787],
    ['a URL object', new URL(endpoint)],
  ])('%s', (_name, value) => {
    expect(refusal({ endpoint: value })).toContain('`endpoint`');
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', endpoint],
    ['a number', 1],
    ['a boolean', true],
  ])('options that are not an object (%s) are refused', (_name, value) => {
    expect(refusal(value)).toMatch(/options/);
  });
});

describe('unknown options', () => {
  test('do not make the options invalid', () => {
    expect(typeof resolveOptions({ endpoint, flushIntervall: 10 })).toBe('object');
  });

  test('are not copied into the result', () => {
    expect(resolved({ flushIntervall: 10 })).not.toHaveProperty('flushIntervall');
  });
});
