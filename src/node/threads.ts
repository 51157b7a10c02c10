/**
 * Starting a worker thread the same way wherever idstitch runs: from the
 * built package (ESM or CJS), from TypeScript source under tsx, and under
 * whatever Node flags the host was started with. Shared by the server's
 * delivery thread and the collector's SQLite threads, so it lives in
 * src/node/, which holds the Node-only code both may import.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { VERSION } from '../protocol/version.js';

/** What the thread runs: a module file (a `file:` URL), or a CommonJS script given as text. */
export type ThreadCode = { module: string } | { script: string };

export function startThread(code: ThreadCode, workerData: unknown): Worker {
  const options: WorkerOptions = { workerData };
  // A worker inherits the host's Node flags, which is what we want, except
  // `--input-type`: from a host run as `node --input-type=module -e` it makes
  // the worker refuse its file (and read a script as a module). Without it the
  // flags must be passed explicitly, and Node refuses some there
  // (--max-old-space-size, --stack-size, ...): then the worker gets none.
  const inputType = process.execArgv.findIndex((arg) => arg === '--input-type' || arg.startsWith('--input-type='));
  if (inputType >= 0) {
    const execArgv = [...process.execArgv];
    execArgv.splice(inputType, execArgv[inputType] === '--input-type' ? 2 : 1);
    options.execArgv = execArgv;
  }
  const start = () => {
    if ('script' in code) return new Worker(code.script, { eval: true, ...options });
    // Run from source (tests, `node --import tsx`): Node 20 workers do not
    // inherit loader hooks, so the thread registers tsx before loading the file.
    // It also sees the version the host sees: a build writes it into the code, vitest defines it only in the host.
    return code.module.endsWith('.ts')
      ? new Worker(`globalThis.__IDSTITCH_VERSION__ ??= ${JSON.stringify(VERSION)}; import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(code.module)}); })`, { eval: true, ...options })
      : new Worker(new URL(code.module), options);
  };
  try {
    return start();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    options.execArgv = [];
    return start();
  }
}
