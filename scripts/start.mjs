// `npm start`: builds dist/ when it is missing or older than src/, then runs
// the collector (127.0.0.1:8787, ./idstitch.db) and the example API server
// with the two example sites (127.0.0.1:8788), prints their URLs, and stops
// both cleanly on SIGINT/SIGTERM (the API's last calls are sent, everything
// the collector accepted is stored). IDSTITCH_PORT, IDSTITCH_DATABASE and
// EXAMPLES_PORT override the defaults. Verified identity is on: the collector
// and the example API share an identity secret, made anew at each start and
// printed, unless IDSTITCH_IDENTITY_SECRET gives one.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** What the example pages and the bin need from the build. */
const OUTPUTS = ['dist/idstitch.min.js', 'dist/snippet.min.js', 'dist/index.mjs', 'packages/collector/dist/cli.mjs', 'dist/server/index.mjs'];

/** Newest modification time of the files below `dir`. */
function newest(dir) {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

function buildIsStale() {
  try {
    const oldestOutput = Math.min(...OUTPUTS.map((file) => statSync(join(root, file)).mtimeMs));
    return newest(join(root, 'src')) > oldestOutput;
  } catch {
    return true; // an output is missing
  }
}

if (buildIsStale()) {
  console.log('idstitch: building dist/ ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) {
    console.error('idstitch: the build failed, see above');
    process.exit(1);
  }
}

// The examples are TypeScript, like the rest of the repo: tsx compiles them on the fly.
const { register } = await import('tsx/esm/api');
register();
const { startStack } = await import('../examples/stack.ts');

const port = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
let stack;
try {
  stack = await startStack({
    collectorPort: port('IDSTITCH_PORT', 8787),
    examplesPort: port('EXAMPLES_PORT', 8788),
    database: process.env.IDSTITCH_DATABASE ?? './idstitch.db',
    ...(process.env.IDSTITCH_IDENTITY_SECRET ? { identitySecret: process.env.IDSTITCH_IDENTITY_SECRET } : {}),
  });
} catch (error) {
  console.error(`idstitch: could not start: ${error?.code === 'EADDRINUSE' ? `a port is in use (${error.message})` : (error?.stack ?? error)}`);
  process.exit(1);
}

const { urls } = stack;
console.log(`
idstitch is running

  examples     ${urls.examples}
    docs site  ${urls.docs}   (script tag + async snippet, login, logout)
    docs again ${urls.docsElsewhere}   (a second host name: its App link carries the visitor across)
    app (SPA)  ${urls.app}   (npm build, autoPage, history routing)
  collector    ${urls.dashboard}   (dashboard)
    ingest     ${urls.ingest}
    stats      ${urls.stats}
    store      ${stack.collector.store.kind} ${stack.collector.store.location}
  verified identity on: the example API signs each login with the identity secret
    IDSTITCH_IDENTITY_SECRET=${stack.identitySecret}
    (made anew at each start unless you set it; a browser that logged in under an earlier one still counts
    through the link its login made, and a new login gets a new token)

Try the docs on two subdomains that share one identity: replace 127.0.0.1 with
a.example.test and b.example.test once they resolve to 127.0.0.1 (/etc/hosts).
Ctrl-C stops both.
`);

let stopping = false;
const stop = (signal) => {
  if (stopping) {
    console.error(`idstitch: ${signal} again, exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`idstitch: ${signal}, stopping ...`);
  stack.close().then(
    () => {
      console.log('idstitch: stopped, everything accepted is stored');
      process.exit(0);
    },
    (error) => {
      console.error(`idstitch: error while stopping: ${error?.stack ?? error}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
