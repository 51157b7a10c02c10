/** Flags, IDSTITCH_* variables and option checks: errors name the option as the user wrote it. */
import { describe, expect, it } from 'vitest';
import { parseCollectorArgs, resolveOptions, usage } from '../../src/collector/index.js';
import { isLoopback } from '../../src/collector/options.js';
import { parseDuration } from '../../src/collector/duration.js';

const resolveArgs = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCollectorArgs(argv, env);
  return resolveOptions(parsed.options, parsed.labels);
};

describe('collector options', () => {
  it('defaults: 127.0.0.1:8787, ./idstitch.db, open ingest, mega-user 50 per hour', () => {
    expect(resolveArgs([])).toEqual({
      host: '127.0.0.1', port: 8787, database: './idstitch.db', writeKeys: [], serverWriteKeys: [], identitySecrets: [], dashboardToken: null,
      megaUserLimit: 50, megaUserWindowMs: 3_600_000, poolSize: 10, maxBacklogMessages: 100_000, maxBacklogBytes: 67_108_864, queryTimeoutMs: 5000, logLevel: 'warn',
    });
  });

  it('reads every flag, with repeatable --write-key', () => {
    const options = resolveArgs([
      '--host', '0.0.0.0', '--port', '9000', '--database', 'postgres://db/x', '--write-key', 'k1', '--write-key', 'k2',
      '--dashboard-token', 't', '--mega-user-limit', '5', '--mega-user-window', '30m', '--pool-size', '4', '--log-level', 'info',
      '--max-backlog-messages', '500', '--max-backlog-bytes', '2048', '--query-timeout', '2s',
    ]);
    expect(options).toEqual({
      host: '0.0.0.0', port: 9000, database: 'postgres://db/x', writeKeys: ['k1', 'k2'], serverWriteKeys: [], identitySecrets: [], dashboardToken: 't',
      megaUserLimit: 5, megaUserWindowMs: 1_800_000, poolSize: 4, maxBacklogMessages: 500, maxBacklogBytes: 2048, queryTimeoutMs: 2000, logLevel: 'info',
    });
  });

  it('reads IDSTITCH_* variables; flags win over them', () => {
    const env = { IDSTITCH_PORT: '1234', IDSTITCH_WRITE_KEY: 'a, b', IDSTITCH_DATABASE: '/tmp/x.db', IDSTITCH_MEGA_USER_WINDOW: '2h' };
    expect(resolveArgs([], env)).toMatchObject({ port: 1234, writeKeys: ['a', 'b'], database: '/tmp/x.db', megaUserWindowMs: 7_200_000 });
    expect(resolveArgs(['--port', '99'], env).port).toBe(99);
  });

  it.each([
    [['--port', 'abc'], {}, /^idstitch collector: --port must be a whole number \(got "abc"\)/],
    [['--port', '70000'], {}, /--port must be an integer from 0 to 65535/],
    [[], { IDSTITCH_PORT: '-1' }, /IDSTITCH_PORT must be a whole number/],
    [['--mega-user-window', 'soon'], {}, /--mega-user-window must be a duration/],
    [['--mega-user-limit', '0'], {}, /--mega-user-limit must be a positive integer/],
    [['--log-level', 'loud'], {}, /--log-level must be one of/],
    [['--host', '0.0.0.0'], {}, /--dashboard-token is required .*--host is "0.0.0.0"/],
    [['--bogus'], {}, /command line is not understood: .*--bogus/],
  ])('%j %j fails naming the option', (argv, env, message) => {
    let error: unknown;
    try {
      resolveArgs(argv, env as NodeJS.ProcessEnv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('CollectorOptionError');
    expect((error as Error).message).toMatch(message);
  });

  it('names the property when options come from code', () => {
    expect(() => resolveOptions({ port: 1.5 })).toThrow(/options\.port must be an integer/);
    expect(() => resolveOptions({ writeKeys: [''] })).toThrow(/options\.writeKeys/);
  });

  it('--help lists every flag with its variable', () => {
    const text = usage();
    for (const flag of ['--host', '--port', '--database', '--write-key', '--dashboard-token', 'IDSTITCH_DASHBOARD_TOKEN']) expect(text).toContain(flag);
    expect(parseCollectorArgs(['--help'], {}).help).toBe(true);
  });

  it('knows loopback addresses and durations', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com']) expect(isLoopback(host), host).toBe(false);
    expect([parseDuration('7d'), parseDuration('24h'), parseDuration('30m'), parseDuration('15s'), parseDuration('2w'), parseDuration('500ms')])
      .toEqual([604_800_000, 86_400_000, 1_800_000, 15_000, 1_209_600_000, 500]);
    for (const bad of ['', '0d', '7', 'd', '1.5h', '-1h', '7 days']) expect(parseDuration(bad), bad).toBeNull();
  });
});

describe('one rule for options (as on the server)', () => {
  it('an unknown option is refused, naming it and the known ones', () => {
    expect(() => resolveOptions({ writekeys: ['k'] } as never)).toThrow(/options\.writekeys is not an option \(known: host, port, database, writeKeys/);
    // Names every object inherits are no options either.
    expect(() => resolveOptions({ toString: () => 'x' } as never)).toThrow(/options\.toString is not an option/);
  });

  it('the defaults are frozen, lists included, so no collector can change another one’s', async () => {
    const { DEFAULTS } = await import('../../src/collector/options.js');
    expect(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.writeKeys) && Object.isFrozen(DEFAULTS.identitySecrets)).toBe(true);
    const resolved = resolveOptions({});
    (resolved.writeKeys as string[]).push('k');
    expect(resolveOptions({}).writeKeys).toEqual([]);
  });
});
