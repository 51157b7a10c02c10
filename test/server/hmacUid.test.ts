import { createHmac, createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacUid } from '../../src/server/index.js';

/** Computed here with node:crypto directly, independently of the helper. */
const reference = (secret: string | Buffer, input: string) => createHmac('sha256', secret).update(input, 'utf8').digest('hex');

describe('hmacUid', () => {
  it('matches RFC 4231 test case 2 (HMAC-SHA256, key "Jefe")', () => {
    expect(hmacUid('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it.each([
    ['s3cret', 'daniel.falko@example.com'],
    ['another-secret', 'name@customer.com'],
    ['ключ', 'ünïcödé@例え.jp'],
    [Buffer.from([0, 1, 2, 255]), 'binary-key@example.com'],
  ])('is HMAC-SHA256(%s, value) as 64 lowercase hex characters', (secret, value) => {
    const uid = hmacUid(secret, value);
    expect(uid).toBe(reference(secret, value));
    expect(uid).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a KeyObject secret', () => {
    expect(hmacUid(createSecretKey(Buffer.from('s3cret')), 'a@b.c')).toBe(reference('s3cret', 'a@b.c'));
  });

  it('is stable, case-sensitive and secret-dependent', () => {
    expect(hmacUid('k', 'a@b.c')).toBe(hmacUid('k', 'a@b.c'));
    expect(hmacUid('k', 'A@b.c')).not.toBe(hmacUid('k', 'a@b.c'));
    expect(hmacUid('k2', 'a@b.c')).not.toBe(hmacUid('k', 'a@b.c'));
  });

  it("with an actor, follows Fullstory's support@…::name@… pattern and never equals the user's own uid", () => {
    const own = hmacUid('s3cret', 'name@customer.com');
    const impersonated = hmacUid('s3cret', 'name@customer.com', { actor: 'support@app.com' });
    expect(impersonated).toBe(reference('s3cret', 'support@app.com::name@customer.com'));
    expect(impersonated).not.toBe(own);
    expect(impersonated).toMatch(/^[0-9a-f]{64}$/);
    // Two agents impersonating one user are told apart too.
    expect(hmacUid('s3cret', 'name@customer.com', { actor: 'other@app.com' })).not.toBe(impersonated);
  });

  it.each([
    ['an empty secret', () => hmacUid('', 'a@b.c'), /secret/],
    ['an empty Buffer secret', () => hmacUid(Buffer.alloc(0), 'a@b.c'), /secret/],
    ['a missing secret', () => hmacUid(undefined as unknown as string, 'a@b.c'), /secret/],
    ['an empty value', () => hmacUid('k', ''), /value/],
    ['a non-string value', () => hmacUid('k', 42 as unknown as string), /value/],
    ['an empty actor', () => hmacUid('k', 'a@b.c', { actor: '' }), /actor/],
  ])('throws a TypeError naming the argument for %s', (_what, call, name) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(name);
  });
});
