// Makes sure the machine has what the tests need that npm cannot install:
// Debian's Chromium (for playwright-core) and PostgreSQL 15 (for the
// collector's second store). As root it installs them; otherwise it stops
// with one message naming the command to run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.IDSTITCH_CHROMIUM ?? '/usr/bin/chromium';
export const PG_BIN = process.env.IDSTITCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

const needs = [];
if (!existsSync(CHROMIUM)) needs.push('chromium');
if (!existsSync(`${PG_BIN}/initdb`)) needs.push('postgresql');

if (needs.length) {
  const command = `apt-get update && apt-get install -y ${needs.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`idstitch tests need ${needs.join(' and ')}. Run as root: ${command}`);
    process.exit(1);
  }
  console.log(`setup: installing ${needs.join(', ')} (${command})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...needs], { stdio: 'inherit', env });
}
