/**
 * The `idstitch-collector` command line: every flag also reads from an
 * `IDSTITCH_*` environment variable; a flag wins over its variable.
 */
import { parseArgs } from 'node:util';
import { CollectorOptionError } from './errors.js';
import { durationOption, type CollectorOptions, type LogLevel, type OptionLabels } from './options.js';

interface FlagSpec {
  key: keyof CollectorOptions;
  flag: string;
  env: string;
  valueName: string;
  help: string;
}

/** The flags, their variables and their help lines, in `--help` order. */
export const FLAGS: readonly FlagSpec[] = [
  { key: 'host', flag: 'host', env: 'IDSTITCH_HOST', valueName: 'HOST', help: 'address to listen on [127.0.0.1]' },
  { key: 'port', flag: 'port', env: 'IDSTITCH_PORT', valueName: 'PORT', help: 'port, 0 = any free one [8787]' },
  { key: 'database', flag: 'database', env: 'IDSTITCH_DATABASE', valueName: 'FILE|URL', help: 'SQLite file or postgres:// URL [./idstitch.db]' },
  { key: 'writeKeys', flag: 'write-key', env: 'IDSTITCH_WRITE_KEY', valueName: 'KEY', help: 'accepted write key; repeat the flag (or comma-separate the variable) for several [none: open]' },
  { key: 'serverWriteKeys', flag: 'server-write-key', env: 'IDSTITCH_SERVER_WRITE_KEY', valueName: 'KEY', help: 'write key of servers, whose user ids need no token; repeatable [none]' },
  { key: 'identitySecrets', flag: 'identity-secret', env: 'IDSTITCH_IDENTITY_SECRET', valueName: 'SECRET', help: 'secret of identity tokens: turns verification on; repeat to rotate [none: off]' },
  { key: 'dashboardToken', flag: 'dashboard-token', env: 'IDSTITCH_DASHBOARD_TOKEN', valueName: 'TOKEN', help: 'token for the dashboard and query API; required off loopback' },
  { key: 'megaUserLimit', flag: 'mega-user-limit', env: 'IDSTITCH_MEGA_USER_LIMIT', valueName: 'N', help: 'anonymous ids per user within the window before the mega-user flag [50]' },
  { key: 'megaUserWindowMs', flag: 'mega-user-window', env: 'IDSTITCH_MEGA_USER_WINDOW', valueName: 'DURATION', help: 'mega-user window, e.g. 30m, 1h [1h]' },
  { key: 'poolSize', flag: 'pool-size', env: 'IDSTITCH_POOL_SIZE', valueName: 'N', help: 'PostgreSQL connections [10]' },
  { key: 'maxBacklogMessages', flag: 'max-backlog-messages', env: 'IDSTITCH_MAX_BACKLOG_MESSAGES', valueName: 'N', help: 'messages that may wait to be written before ingest answers 503 [100000]' },
  { key: 'maxBacklogBytes', flag: 'max-backlog-bytes', env: 'IDSTITCH_MAX_BACKLOG_BYTES', valueName: 'BYTES', help: 'the same bound in bytes [67108864]' },
  { key: 'queryTimeoutMs', flag: 'query-timeout', env: 'IDSTITCH_QUERY_TIMEOUT', valueName: 'DURATION', help: 'most a query may take before it answers 503, e.g. 5s, 500ms [5s]' },
  { key: 'logLevel', flag: 'log-level', env: 'IDSTITCH_LOG_LEVEL', valueName: 'LEVEL', help: 'fatal|error|warn|info|debug|trace|silent [warn]' },
];

/** Options that a repeated flag (or a comma-separated variable) gives several values of. */
const LISTS = new Set<keyof CollectorOptions>(['writeKeys', 'serverWriteKeys', 'identitySecrets']);

/** What the command line asked for. */
export interface ParsedArgs {
  help: boolean;
  /** `--vacuum`: compact the SQLite file (store/vacuum.ts) and exit, instead of starting. */
  vacuum: boolean;
  options: CollectorOptions;
  /** Where each option came from, for error messages. */
  labels: OptionLabels;
}

function integer(option: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CollectorOptionError(option, `must be a whole number (got "${text}")`);
  return Number(text);
}

function convert(spec: FlagSpec, label: string, raw: string | string[]): CollectorOptions[keyof CollectorOptions] {
  const text = Array.isArray(raw) ? raw[raw.length - 1]! : raw;
  switch (spec.key) {
    case 'port':
    case 'megaUserLimit':
    case 'poolSize':
    case 'maxBacklogMessages':
    case 'maxBacklogBytes':
      return integer(label, text);
    case 'megaUserWindowMs':
    case 'queryTimeoutMs':
      return durationOption(label, text);
    case 'writeKeys':
    case 'serverWriteKeys':
    case 'identitySecrets':
      return (Array.isArray(raw) ? raw : raw.split(',')).map((k) => k.trim()).filter(Boolean);
    case 'logLevel':
      return text as LogLevel;
    default:
      return text;
  }
}

/** Parses `argv` (without node and the script) and `env` into collector options. */
export function parseCollectorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const config = Object.fromEntries(FLAGS.map((f) => [f.flag, { type: 'string' as const, multiple: LISTS.has(f.key) }]));
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { ...config, help: { type: 'boolean', short: 'h' }, vacuum: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new CollectorOptionError('command line', `is not understood: ${(error as Error).message}. Run idstitch-collector --help.`);
  }
  const options: Record<string, unknown> = {};
  const labels: OptionLabels = {};
  for (const spec of FLAGS) {
    const fromFlag = values[spec.flag] as string | string[] | undefined;
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) {
      labels[spec.key] = `--${spec.flag}`;
      options[spec.key] = convert(spec, `--${spec.flag}`, fromFlag);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      labels[spec.key] = spec.env;
      options[spec.key] = convert(spec, spec.env, fromEnv);
    } else {
      labels[spec.key] = `--${spec.flag}`;
    }
  }
  return { help: values.help === true, vacuum: values.vacuum === true, options: options as CollectorOptions, labels };
}

/** The `--help` text. */
export function usage(): string {
  const lines = FLAGS.map((f) => `  --${`${f.flag} ${f.valueName}`.padEnd(28)} ${f.help}\n  ${' '.repeat(30)} (env ${f.env})`);
  return `Usage: idstitch-collector [options]\n\nThe idstitch reference collector: Segment-compatible ingest, identity stitching, query API.\n\n${lines.join('\n')}\n  --vacuum                       compact the SQLite file (--database) so erased data leaves the disk, then exit;\n                                 run it with the collector stopped\n  --help                         this text\n`;
}
