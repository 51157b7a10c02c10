/**
 * Serves the example sites' files. The pages are written for `npm start`'s
 * defaults (collector at http://127.0.0.1:8787), so they read like code to
 * copy; at serve time two things are filled in:
 * - the async snippet: `dist/snippet.min.js` replaces the marker comment, as
 *   you would paste it inline;
 * - the tracker options: the `endpoint: 'http://127.0.0.1:8787/v1/batch'`
 *   property becomes the options of this run (tests use free ports and short
 *   flush intervals);
 * - the examples' own origin, `http://127.0.0.1:8788`, becomes this run's (the
 *   docs link to the app there, so that the docs on a second host name link
 *   across).
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const SNIPPET_MARKER = '/* idstitch snippet: the server pastes dist/snippet.min.js here */';
const ENDPOINT_PROPERTY = "endpoint: 'http://127.0.0.1:8787/v1/batch'";
const EXAMPLES_ORIGIN = 'http://127.0.0.1:8788';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The tracker options every example page gets, and where the examples are served. */
export interface PageOptions {
  endpoint: string;
  flushInterval?: number;
  /** The example server's own origin, e.g. `http://127.0.0.1:8788`. */
  origin: string;
}

/** A file of an example site, ready to send, or undefined when there is none. */
export interface ServedFile {
  type: string;
  body: string;
}

/** `file` below `root`, never above it. */
const inside = (root: string, file: string) => join(root, normalize(file).replace(/^([/\\]|\.\.[/\\])+/, ''));

/**
 * Reads `file` below `root` (never above it) and fills in the snippet and the
 * options. Only the page types above are served.
 */
export async function readExampleFile(root: string, file: string, options: PageOptions): Promise<ServedFile | undefined> {
  const type = TYPES[extname(file)];
  if (!type) return undefined;
  let body: string;
  try {
    body = await readFile(inside(root, file), 'utf8');
  } catch {
    return undefined;
  }
  if (body.includes(SNIPPET_MARKER)) body = body.replace(SNIPPET_MARKER, (await readFile(join(REPO, 'dist/snippet.min.js'), 'utf8')).trim());
  const { origin, ...tracker } = options;
  const properties = Object.entries(tracker).map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(', ');
  return { type, body: body.replace(ENDPOINT_PROPERTY, properties).replaceAll(EXAMPLES_ORIGIN, origin) };
}

/**
 * A page of the docs site: `pages/<file>` inside `layout.html` (the head with
 * the snippet, the login form), titled after its `<h1>`. Other files (the
 * script, the style sheet) are served as they are.
 */
export async function readDocsFile(root: string, file: string, options: PageOptions): Promise<ServedFile | undefined> {
  if (extname(file) !== '.html') return readExampleFile(root, file, options);
  let content: string;
  try {
    content = await readFile(inside(join(root, 'pages'), file), 'utf8');
  } catch {
    return undefined;
  }
  const layout = await readExampleFile(root, 'layout.html', options);
  if (!layout) return undefined;
  const title = /<h1>(.*?)<\/h1>/.exec(content)?.[1] ?? 'Docs';
  return { type: layout.type, body: layout.body.replace('<!-- title -->', title).replace('<!-- content -->', content.trim()) };
}
