/** `signIdentity` and the token check the collector makes (src/node/identityToken.ts). */
import { describe, expect, it, vi } from 'vitest';
import { MAX_TOKEN_LENGTH, verifyIdentityToken } from '../../src/node/identityToken.js';
import { signIdentity } from '../../src/server/index.js';

const SECRET = 'server-side-secret-0123456789';
const NOW = Date.UTC(2030, 0, 1);

describe('signIdentity', () => {
  it('makes a short token that verifies for its user id until it expires (30 days by default)', () => {
    vi.useFakeTimers({ now: NOW });
    try {
      const token = signIdentity(SECRET, 'u_8f2k');
      expect(token).toMatch(/^v1\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
      expect(token.length).toBeLessThan(MAX_TOKEN_LENGTH);
      const day = 86_400_000;
      expect(verifyIdentityToken([SECRET], 'u_8f2k', token, NOW + 30 * day - 1000)).toBe('valid');
      expect(verifyIdentityToken([SECRET], 'u_8f2k', token, NOW + 30 * day)).toBe('expired');
      expect(verifyIdentityToken([SECRET], 'u_8f2k', signIdentity(SECRET, 'u_8f2k', { ttl: 60 }), NOW + 61_000)).toBe('expired');
      expect(verifyIdentityToken([SECRET], 'u_8f2k', signIdentity(SECRET, 'u_8f2k', { ttl: 60 }), NOW + 59_000)).toBe('valid');
    } finally {
      vi.useRealTimers();
    }
  });

  it('binds the user id (case-sensitive; numbers as their string) and the secret', () => {
    const token = signIdentity(SECRET, 'Ada');
    expect(verifyIdentityToken([SECRET], 'ada', token, Date.now())).toBe('wrong');
    expect(verifyIdentityToken(['another-secret-0123456'], 'Ada', token, Date.now())).toBe('wrong');
    expect(verifyIdentityToken(['another-secret-0123456', SECRET], 'Ada', token, Date.now())).toBe('valid');
    expect(verifyIdentityToken([SECRET], '42', signIdentity(SECRET, 42), Date.now())).toBe('valid');
    expect(verifyIdentityToken([Buffer.from(SECRET)], 'Ada', token, Date.now())).toBe('valid');
  });

  it('says what is wrong with a token that cannot be one', () => {
    const token = signIdentity(SECRET, 'Ada');
    expect(verifyIdentityToken([SECRET], 'Ada', undefined, Date.now())).toBe('missing');
    for (const bad of [42, {}, '', 'v1', token.slice(0, -1), `${token}x`, token.replace('v1.', 'v2.'), 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(verifyIdentityToken([SECRET], 'Ada', bad, Date.now()), String(bad).slice(0, 40)).toBe('malformed');
    }
  });

  it('throws a TypeError for a setup mistake: no secret, an id the collector would refuse, a bad ttl', () => {
    expect(() => signIdentity('', 'Ada')).toThrow(/secret must be a non-empty/);
    expect(() => signIdentity(SECRET, 'null')).toThrow(/userId "null" is a placeholder/);
    expect(() => signIdentity(SECRET, '  ')).toThrow(TypeError);
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60' as never]) {
      expect(() => signIdentity(SECRET, 'Ada', { ttl }), String(ttl)).toThrow(/ttl must be a positive number of seconds/);
    }
  });
});
