/**
 * JSON parsing for untrusted bodies: strict UTF-8, a nesting limit, and no
 * `__proto__` (or `constructor.prototype`) keys, so nothing a client sends can
 * reach an object's prototype however the value is later merged.
 */
import { isUtf8 } from 'node:buffer';
import { badRequest } from './errors.js';

/** Deepest nesting of objects and arrays a body may have (a batch adds 3 levels). */
export const MAX_DEPTH = 64;

/** Deepest `{`/`[` nesting outside strings; stops counting past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Jump to the closing quote: one not preceded by an odd run of backslashes.
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end < 0) return max; // unterminated: JSON.parse will refuse it
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92 /* \ */) slashes++;
        i = end;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return max;
}

function dropPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'prototype')) {
    return undefined;
  }
  return value;
}

/** Decodes and parses a request body; throws a 400 {@link HttpError} saying why it cannot. */
export function parseJsonBody(body: Buffer): unknown {
  // A native check, then a plain decode (a fatal TextDecoder costs about as much as the parse).
  if (!isUtf8(body)) throw badRequest('body is not valid UTF-8');
  const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  const text = (bom ? body.subarray(3) : body).toString('utf8');
  if (!text.trim()) throw badRequest('body is empty');
  if (nestingDepth(text, MAX_DEPTH) > MAX_DEPTH) throw badRequest(`body is nested deeper than ${MAX_DEPTH} levels`);
  // The reviver costs a few times a plain parse, so it only runs when a key
  // could spell one of the dangerous names (directly or through \u escapes).
  const risky = text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
  try {
    return risky ? JSON.parse(text, dropPrototypeKeys) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`body is not JSON: ${(error as Error).message}`);
  }
}
