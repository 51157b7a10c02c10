// Bytes of every dist file, minified and gzip -9: the numbers the README quotes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url);
const rows = readdirSync(dist)
  .filter((file) => /\.(m?js|cjs)$/.test(file) && statSync(new URL(file, dist)).isFile())
  .map((file) => {
    const bytes = readFileSync(new URL(file, dist));
    return { file: `dist/${file}`, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
console.table(rows);
const script = rows.find((row) => row.file === 'dist/idstitch.min.js');
if (script) console.log(`script-tag build: ${script.gzip} B gzip (budget 6144 B, goal 5120 B)`);
