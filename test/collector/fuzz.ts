/**
 * Generators of bad ingest requests for the fuzz test: every body is refused
 * whole (4xx) or holds at least one message that must be refused (200 with
 * `rejected`). Deterministic from a seed.
 */
import { gzipSync } from 'node:zlib';

/** One generated request. */
export interface BadRequest {
  kind: string;
  url: string;
  headers: Record<string, string>;
  payload: Buffer;
}

/** mulberry32: small, seeded, good enough to pick cases. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLACEHOLDERS = ['0', '1', '-1', 'NaN', 'n/a', 'undefined', 'null', 'nil', 'None', 'anonymous', 'guest', '[object Object]', 'true', 'false', 'id', 'email', '"null"', "'guest'", '__x', ' ', '\u200b', ''];
const WEIRD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, '', ' ', [], [1, [2]], {}, { a: { b: 1 } }, 'x'.repeat(300), '\u0000', '\ud800'];

/** Gzip bombs, made once: a few MB of JSON-ish filler compressed to a few KB. */
const BOMBS = [
  gzipSync(Buffer.concat([Buffer.from('{"batch":['), Buffer.alloc(30 * 1024 * 1024, 0x20), Buffer.from(']}')])),
  gzipSync(Buffer.alloc(12 * 1024 * 1024, 0x7b)),
  gzipSync(Buffer.from(`{"batch":[{"type":"track","anonymousId":"a","event":"${'A'.repeat(8 * 1024 * 1024)}"}]}`)),
];
const TEN_MB = 'z'.repeat(10 * 1024 * 1024);

/**
 * Identity tokens that must never verify (README "Verified identity"): over
 * 512 characters, malformed, of the wrong type, the right shape with a
 * garbage mac. Deterministic from `rnd`.
 */
export function badToken(rnd: () => number): unknown {
  const int = (n: number) => Math.floor(rnd() * n);
  const mac = Array.from({ length: 43 }, () => 'Aa0_-'[int(5)]).join('');
  const cases: unknown[] = [
    `v1.${'9'.repeat(int(4000) + 513)}`, 'x'.repeat(513 + int(100_000)), '', ' ', 'v1', 'v1..', `v1.zzzzzzzzzz.${mac}`, `v1.${'z'.repeat(11)}.${mac}`,
    `v2.abc.${mac}`, `v1.abc.${mac}=`, `v1.ABC.${mac}`, `v1.abc.${mac.slice(1)}`, `v1.-1.${mac}`, `v1.abc.${mac}\u0000`, 'v1.abc.\ud800',
    5, -0, 1e308, true, [], ['v1.a.b'], { token: 'v1.a.b' }, { __proto__: { polluted: 'yes' } }, `${'v1.abc.'.repeat(80)}`,
  ];
  return cases[int(cases.length)];
}

export function generator(seed: number) {
  const rnd = random(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  let n = 0;

  const goodMessage = (): Record<string, unknown> => ({
    type: pick(['track', 'page', 'identify', 'group']), messageId: `fz-${seed}-${++n}`, anonymousId: `fz-anon-${int(50)}`,
    event: 'Fuzzed', groupId: 'fuzz-co', timestamp: new Date(Date.UTC(2024, 0, 1) + int(1e9)).toISOString(),
    context: { library: { name: 'idstitch', version: '0' } }, properties: { n }, traits: { n },
  });

  /**
   * One message that must be refused. `anyType`: only faults that stay
   * faults whatever the type (a single-message route sets the type).
   */
  const badMessage = (anyType = false): unknown => {
    const m = goodMessage();
    const fault = anyType ? pick([2, 3, 4, 5, 6, 10, 11]) : int(12);
    switch (fault) {
      case 0: return pick(WEIRD_VALUES.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)));
      case 1: m.type = pick(['purchase', 'TRACK', '', 5, null, ['track'], { t: 1 }, '__proto__', 'constructor', 'toString']); return m;
      case 2: delete m.anonymousId; return m;
      case 3: m.userId = pick(PLACEHOLDERS); return m;
      case 4: m.anonymousId = pick([5, {}, [], '', 'x'.repeat(256), '\u0000a', 'a\udc00', true]); return m;
      case 5: m.messageId = pick([5, {}, '', 'm'.repeat(101), ['x'], 'nul\u0000']); return m;
      case 6: m.timestamp = pick(['yesterday', 5, {}, '2024-13-99', 'x'.repeat(100), true]); return m;
      case 7: m.type = 'identify'; m.traits = pick(['x', 5, [1], true]); return m;
      case 8: m.type = 'track'; m.event = pick([null, '', 5, {}, 'e'.repeat(2000), '\u0000']); return m;
      case 9: m.type = 'group'; m.groupId = pick([...PLACEHOLDERS, 5.5e300, null, {}]); if (m.groupId === 5.5e300) m.groupId = Infinity; return m;
      case 10: m.context = pick(['c', 5, [1]]); return m;
      default: m.properties = { big: 'b'.repeat(33 * 1024) }; return m;
    }
  };

  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const withProtoKeys = () =>
    `{"batch":[{"type":"identify","messageId":"fz-p-${++n}","anonymousId":"p","userId":"proto-user","traits":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":"yes"},"prototype":{"x":1}},"properties":{"__proto__":[1]}},${JSON.stringify(badMessage())}],"__proto__":{"polluted":"yes"}}`;
  const corruptUtf8 = (text: string) => {
    const bytes = Buffer.from(text);
    const at = int(bytes.length);
    const junk = pick([[0xff], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(at)]);
  };
  const batchBody = (messages: unknown[], extra = '') => `{"batch":${JSON.stringify(messages)},"sentAt":${JSON.stringify(pick(['2024-01-01T00:00:00Z', 'later', 5, null]))}${extra}}`;
  const someMessages = () => {
    const messages: unknown[] = Array.from({ length: int(6) }, goodMessage);
    messages.splice(int(messages.length + 1), 0, badMessage());
    return messages;
  };

  const json = (kind: string, body: string | Buffer, url = '/v1/batch', headers: Record<string, string> = {}): BadRequest => ({
    kind, url, headers: { 'content-type': pick(['application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/octet-stream']), ...headers },
    payload: typeof body === 'string' ? Buffer.from(body) : body,
  });

  /** The next bad request; `heavy` makes it a 10 MB one. */
  return function next(heavy: boolean): BadRequest {
    switch (heavy ? -1 : int(13)) {
      case 0: { // Truncated or spliced JSON.
        const text = batchBody(someMessages());
        const cut = int(text.length - 1);
        return json('invalid-json', pick([text.slice(0, cut), text.slice(cut), `${text.slice(0, cut)}\u0001${text.slice(cut)}`, text.replace(/"/g, "'"), 'NaN', '{', '', '   ', '{"batch":[],}']));
      }
      case 1: return json('random-bytes', Buffer.from(Array.from({ length: 1 + int(2000) }, () => int(256))));
      case 2: return json('invalid-utf8', corruptUtf8(batchBody(someMessages())));
      case 3: return json('wrong-batch-type', `{"batch":${JSON.stringify(pick(WEIRD_VALUES.filter((v) => !Array.isArray(v))))}}`);
      case 4: return json('top-level-not-object', JSON.stringify(pick([...WEIRD_VALUES, [{ batch: [] }]])));
      case 5: return json('bad-messages', batchBody(someMessages()));
      case 6: { // Deep nesting, at the top or inside a message.
        const depth = pick([65, 100, 1000, 10_000, 100_000]);
        return json('deep-nesting', pick([nested(depth), `{"batch":[{"type":"track","anonymousId":"a","event":"e","properties":{"x":${nested(depth)}}}]}`]));
      }
      case 7: return json('proto-keys', withProtoKeys());
      case 8: { // Gzip: bombs, corrupt streams, gzip of garbage.
        const body = pick([
          pick(BOMBS), gzipSync(Buffer.from(batchBody(someMessages()))).subarray(0, 30), gzipSync(Buffer.from('not json')),
          Buffer.concat([gzipSync(Buffer.from(batchBody(someMessages()))), Buffer.from('trailing')]), Buffer.from('not gzip at all'),
          gzipSync(corruptUtf8(batchBody(someMessages()))),
        ]);
        return json('gzip', body, '/v1/batch', { 'content-encoding': pick(['gzip', 'x-gzip', 'GZIP']) });
      }
      case 9: { // Too many messages, or too many bytes.
        const count = pick([2501, 3000, 5000]);
        return json('huge-batch', pick([`{"batch":[${Array(count).fill('{}').join(',')}]}`, batchBody(Array.from({ length: 40 }, () => ({ ...goodMessage(), properties: { pad: 'p'.repeat(14_000) } })))]));
      }
      case 10: { // Single-message routes.
        const url = pick(['/v1/track', '/v1/t', '/v1/identify', '/v1/i', '/v1/page', '/v1/p', '/v1/group', '/v1/g', '/v1/alias', '/v1/a', '/v1/screen', '/v1/s']);
        return json('single', pick([JSON.stringify(badMessage(true)), 'nope', `{"x":${nested(5000)}}`]), url);
      }
      case 11: return json('bad-encoding', batchBody(someMessages()), '/v1/batch', { 'content-encoding': pick(['br', 'deflate', 'compress', 'gzip, br']) });
      case 12: { // Lone surrogates and NULs through escapes, and invalid ids.
        const m = goodMessage();
        m.userId = pick(['\\ud800', 'a\\u0000b', '__proto__', '__constructor', '"undefined"']);
        return json('escapes', batchBody([goodMessage()]).replace('"batch":[', `"batch":[{"type":"identify","anonymousId":"e","userId":"${m.userId}"},`));
      }
      default: // 10 MB strings.
        return json('ten-mb', pick([`{"batch":[{"type":"track","anonymousId":"a","event":"${TEN_MB}"}]}`, `"${TEN_MB}"`]), pick(['/v1/batch', '/v1/track']));
    }
  };
}
