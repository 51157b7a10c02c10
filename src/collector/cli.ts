#!/usr/bin/env node
/**
 * `idstitch-collector`: starts the collector, prints its URLs, and on
 * SIGINT/SIGTERM stops taking requests, stores everything already accepted
 * and exits 0. A second signal exits at once.
 */
import { parseCollectorArgs, usage } from './args.js';
import { CollectorOptionError } from './errors.js';
import { DEFAULTS } from './options.js';
import { createCollector } from './server.js';
import { compactSqlite } from './store/vacuum.js';

async function main(): Promise<void> {
  const { help, vacuum, options, labels } = parseCollectorArgs(process.argv.slice(2));
  if (help) {
    process.stdout.write(usage());
    return;
  }
  if (vacuum) {
    const { file, bytesBefore, bytesAfter } = compactSqlite(options.database ?? DEFAULTS.database);
    process.stdout.write(`idstitch collector: compacted ${file} (with its WAL) from ${bytesBefore} to ${bytesAfter} bytes\n`);
    return;
  }
  const collector = await createCollector(options, labels);
  const url = await collector.listen();
  const token = collector.options.dashboardToken ? ' (needs the dashboard token)' : '';
  process.stdout.write(
    `idstitch collector listening on ${url}\n` +
      `  ingest     ${url}/v1/batch\n` +
      `  dashboard  ${url}/${token}\n` +
      `  stats      ${url}/v1/stats${token}\n` +
      `  health     ${url}/healthz\n` +
      `  store      ${collector.store.kind} ${collector.store.location}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`idstitch collector: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`idstitch collector: ${signal}, finishing accepted requests...\n`);
    collector.close().then(
      () => {
        process.stdout.write('idstitch collector: stopped, everything accepted is stored\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`idstitch collector: error while stopping: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof CollectorOptionError ? error.message : `idstitch collector: ${(error as Error).stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(error instanceof CollectorOptionError ? 2 : 1);
});
