/**
 * Gzip bombs (src/collector/inflate.ts): the collector stops inflating at the
 * body limit. Checked by the bytes gunzip produced, counted by wrapping
 * `createGunzip`, not by how long it took (issue 12).
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { inflateWithCap } from '../../src/collector/inflate.js';
import { LIMITS } from '../../src/protocol/index.js';
import { get, page, STORE_KINDS, useHarness } from './helpers.js';

/** Every byte any gunzip made in this file's process since the last reset. */
const inflated = vi.hoisted(() => ({ bytes: 0 }));
vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof import('node:zlib')>();
  const createGunzip: typeof zlib.createGunzip = (options) => {
    const gunzip = zlib.createGunzip(options);
    gunzip.on('data', (chunk: Buffer) => { inflated.bytes += chunk.length; });
    return gunzip;
  };
  return { ...zlib, default: { ...zlib, createGunzip }, createGunzip };
});

const harness = useHarness();

/** One gunzip output chunk (zlib's default chunk size): what may be inflated past the cap before it is noticed. */
const CHUNK = 16 * 1024;
/** 20 MB of JSON whitespace compresses to ~20 KB. */
const bomb = gzipSync(Buffer.concat([Buffer.from('{"batch":['), Buffer.alloc(20 * 1024 * 1024, 0x20), Buffer.from(']}')]));

describe('inflateWithCap', () => {
  it('fails with 413 once past the cap, having inflated no more than the cap and one chunk of a 2 GB bomb', async () => {
    const cap = 100 * 1024;
    // 100 gzip members of 20 MB each (gunzip reads concatenated members as one body).
    const members = Array.from({ length: 100 }, () => bomb);
    inflated.bytes = 0;
    const out = inflateWithCap(Readable.from(members), cap);
    let delivered = 0;
    const error = await new Promise<Error & { statusCode?: number }>((resolve) => {
      out.on('data', (chunk: Buffer) => { delivered += chunk.length; });
      out.on('error', resolve);
      out.on('end', () => resolve(new Error('ended without an error')));
    });
    expect(error.statusCode).toBe(413);
    expect(error.message).toMatch(/inflated body is larger than 100 KB/);
    expect(delivered).toBeLessThanOrEqual(cap);
    expect(inflated.bytes).toBeGreaterThan(cap);
    expect(inflated.bytes).toBeLessThanOrEqual(cap + CHUNK);
  });

  it('passes a body under the cap through whole', async () => {
    const text = JSON.stringify({ batch: [page('a')] }).padEnd(50 * 1024, ' ');
    const out = inflateWithCap(Readable.from([gzipSync(text)]), 100 * 1024);
    const chunks: Buffer[] = [];
    for await (const chunk of out) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
  });
});

describe.each(STORE_KINDS)('a gzip bomb sent to the collector on %s', (kind) => {
  it('is refused with 413, stores nothing, and is never inflated beyond the body limit (plus one chunk)', async () => {
    const c = await harness.collector(kind);
    expect(bomb.length).toBeLessThan(LIMITS.batchBytes);
    inflated.bytes = 0;
    const answer = await c.app.inject({ method: 'POST', url: '/v1/batch', payload: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(answer.statusCode).toBe(413);
    expect(inflated.bytes).toBeGreaterThan(LIMITS.batchBytes);
    expect(inflated.bytes).toBeLessThanOrEqual(LIMITS.batchBytes + CHUNK);
    expect(answer.json()).toEqual({ ok: false, reason: `inflated body is larger than ${LIMITS.batchBytes / 1024} KB` });
    expect((await get(c, '/v1/stats')).body.events).toBe(0);
  });
});
