/**
 * The collector's options (README "The collector"): one typed interface, defaults
 * in one place, checked up front with errors that name the option.
 */
import { parseDuration } from './duration.js';
import { CollectorOptionError } from './errors.js';

/** Log levels of fastify's logger (pino), plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface CollectorOptions {
  /**
   * Address to listen on. Anything but a loopback address makes
   * `dashboardToken` mandatory.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * TCP port; `0` picks a free one.
   * @default 8787
   */
  port?: number;
  /**
   * The store: a SQLite file path (`:memory:` for a throwaway store) or a
   * `postgres://` / `postgresql://` connection URL.
   * @default './idstitch.db'
   */
  database?: string;
  /**
   * Accepted write keys. Empty: ingest is open to anyone.
   * @default []
   */
  writeKeys?: readonly string[];
  /**
   * Write keys of servers (`idstitch/server`'s `writeKey`): accepted like
   * `writeKeys`, and their batches are trusted with any `userId`, token or
   * not. Keep them secret: unlike a browser's write key, they are never in
   * a page.
   * @default []
   */
  serverWriteKeys?: readonly string[];
  /**
   * Secrets of identity tokens (`signIdentity` in `idstitch/server`). Set,
   * they turn verification on: a `userId` from a browser counts only with a
   * valid, unexpired token for it (README "Verified identity"). Several for
   * a rotation: tokens signed with any of them verify.
   * @default []
   */
  identitySecrets?: readonly string[];
  /**
   * Token for the dashboard and the query API (`Authorization: Bearer <token>`
   * or `?token=<token>`). Required when `host` is not loopback; when set it is
   * always enforced.
   * @default null
   */
  dashboardToken?: string | null;
  /**
   * A user id that gains more anonymous ids than this within
   * `megaUserWindowMs` is flagged `mega-user` in its profile.
   * @default 50
   */
  megaUserLimit?: number;
  /**
   * The mega-user window in milliseconds (the CLI takes `1h`, `30m`, ...).
   * @default 3_600_000 (one hour)
   */
  megaUserWindowMs?: number;
  /**
   * PostgreSQL connections per collector instance.
   * @default 10
   */
  poolSize?: number;
  /**
   * Most messages that may wait to be written (accepted, not yet
   * committed). Past it ingest answers 503 with `Retry-After`, which the
   * SDKs honour: memory stays bounded when the database falls behind.
   * @default 100_000
   */
  maxBacklogMessages?: number;
  /**
   * The same bound in bytes of the messages as received.
   * @default 67_108_864 (64 MiB)
   */
  maxBacklogBytes?: number;
  /**
   * Most time in milliseconds a query of the query API or dashboard may take,
   * waiting for a reader included (the CLI takes `5s`, `500ms`, ...). Past it
   * the query answers 503 with the reason; ingest is never held up by a
   * query either way (reads run off the event loop, on their own
   * connections).
   * @default 5000
   */
  queryTimeoutMs?: number;
  /**
   * fastify's log level.
   * @default 'warn'
   */
  logLevel?: LogLevel;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<CollectorOptions>;

/** Every default, in one place; frozen, lists included, as every collector of the process shares them. */
export const DEFAULTS: Readonly<ResolvedOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 8787,
  database: './idstitch.db',
  writeKeys: Object.freeze([]),
  serverWriteKeys: Object.freeze([]),
  identitySecrets: Object.freeze([]),
  dashboardToken: null,
  megaUserLimit: 50,
  megaUserWindowMs: 3_600_000,
  poolSize: 10,
  maxBacklogMessages: 100_000,
  maxBacklogBytes: 64 * 1024 * 1024,
  queryTimeoutMs: 5000,
  logLevel: 'warn',
});

/** How each option is named where it came from: `--port`, `IDSTITCH_PORT` or `options.port`. */
export type OptionLabels = Partial<Record<keyof CollectorOptions, string>>;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(bare);
}

/** True when `database` names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

function integerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Fills in defaults and checks every option; throws {@link CollectorOptionError}
 * naming the first bad one.
 */
export function resolveOptions(input: CollectorOptions = {}, labels: OptionLabels = {}): ResolvedOptions {
  const label = (key: keyof CollectorOptions) => labels[key] ?? `options.${key}`;
  // A typo (`writekeys`) must not leave ingest open in silence: unknown names are refused, as on the server.
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(DEFAULTS, key)) throw new CollectorOptionError(`options.${key}`, `is not an option (known: ${Object.keys(DEFAULTS).join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...defined } as ResolvedOptions;

  if (typeof o.host !== 'string' || !o.host.trim()) throw new CollectorOptionError(label('host'), 'must be a host name or address');
  if (!integerIn(o.port, 0, 65535)) {
    throw new CollectorOptionError(label('port'), `must be an integer from 0 to 65535 (got ${JSON.stringify(o.port)})`);
  }
  if (typeof o.database !== 'string' || !o.database.trim()) {
    throw new CollectorOptionError(label('database'), 'must be a SQLite file path or a postgres:// URL');
  }
  for (const key of ['writeKeys', 'serverWriteKeys', 'identitySecrets'] as const) {
    const list = o[key];
    if (!Array.isArray(list) || list.some((k) => typeof k !== 'string' || !k)) throw new CollectorOptionError(label(key), 'must be a list of non-empty strings');
  }
  // A short secret can be guessed offline from any one token.
  if (o.identitySecrets.some((secret) => secret.length < 16)) {
    throw new CollectorOptionError(label('identitySecrets'), 'must each be at least 16 characters (32 random bytes, base64, is a good secret)');
  }
  if (o.dashboardToken !== null && (typeof o.dashboardToken !== 'string' || !o.dashboardToken)) {
    throw new CollectorOptionError(label('dashboardToken'), 'must be a non-empty string');
  }
  if (o.dashboardToken === null && !isLoopback(o.host)) {
    throw new CollectorOptionError(
      label('dashboardToken'),
      `is required when the collector listens on a non-loopback address (${label('host')} is "${o.host}"): the query API would be open to the network`,
    );
  }
  if (!integerIn(o.megaUserLimit, 1, 1_000_000_000)) {
    throw new CollectorOptionError(label('megaUserLimit'), `must be a positive integer (got ${JSON.stringify(o.megaUserLimit)})`);
  }
  if (!integerIn(o.megaUserWindowMs, 1, Number.MAX_SAFE_INTEGER)) {
    throw new CollectorOptionError(label('megaUserWindowMs'), `must be a positive duration (got ${JSON.stringify(o.megaUserWindowMs)})`);
  }
  if (!integerIn(o.poolSize, 1, 1000)) {
    throw new CollectorOptionError(label('poolSize'), `must be an integer from 1 to 1000 (got ${JSON.stringify(o.poolSize)})`);
  }
  if (!integerIn(o.maxBacklogMessages, 1, 100_000_000)) {
    throw new CollectorOptionError(label('maxBacklogMessages'), `must be an integer from 1 to 100000000 (got ${JSON.stringify(o.maxBacklogMessages)})`);
  }
  if (!integerIn(o.maxBacklogBytes, 1024, Number.MAX_SAFE_INTEGER)) {
    throw new CollectorOptionError(label('maxBacklogBytes'), `must be an integer of at least 1024 (got ${JSON.stringify(o.maxBacklogBytes)})`);
  }
  if (!integerIn(o.queryTimeoutMs, 1, 3_600_000)) {
    throw new CollectorOptionError(label('queryTimeoutMs'), `must be a duration from 1 ms to 1 h (got ${JSON.stringify(o.queryTimeoutMs)})`);
  }
  if (!LOG_LEVELS.includes(o.logLevel)) {
    throw new CollectorOptionError(label('logLevel'), `must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(o.logLevel)})`);
  }
  return { ...o, writeKeys: [...new Set(o.writeKeys)], serverWriteKeys: [...new Set(o.serverWriteKeys)], identitySecrets: [...new Set(o.identitySecrets)] };
}

/** Parses a duration option (`1h`, `30m`) or throws naming it. */
export function durationOption(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new CollectorOptionError(option, `must be a duration such as 30m, 1h or 7d (got "${text}")`);
  return ms;
}
