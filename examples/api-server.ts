/**
 * The example API server (Express 5). It shows the server half of idstitch:
 * - `idstitchMiddleware` turns every `/api/*` request into an `API Call`
 *   message, attributed to the logged-in user and company, and, through the
 *   browser SDK's anonymous-id cookie, to the visitor's journey before login;
 * - the login route answers with `hmacUid(secret, email)`, an opaque user id
 *   the page passes to `identifyUser` (never the email itself), and with
 *   `signIdentity(identitySecret, userId)`, the token that makes the
 *   collector believe that user id from this browser (README "Verified
 *   identity").
 * It also serves the two example sites and the built SDK, so the pages and
 * the API share one origin and the SDK's cookie rides along on API calls.
 *
 * In your app, import from 'idstitch/server'; the examples import the sources
 * so that they run from a fresh clone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServerClient, hmacUid, idstitchMiddleware, signIdentity, type ServerClient, type ServerError } from '../src/server/index.js';
import { readDocsFile, readExampleFile, REPO, type PageOptions, type ServedFile } from './pages.js';
import { clearedSessionCookie, readSession, sessionCookie, sessionDomain, type SessionUser } from './session.js';

export interface ExampleServerOptions {
  /** The collector's batch endpoint, for the pages and the server client. */
  endpoint: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 8788; 0 picks a free port */
  port?: number;
  /** Signs sessions and makes user ids (`hmacUid`). @default a fixed demo secret: set your own in production */
  secret?: string;
  /** Flush interval in ms of the pages' trackers and of the server client. @default 1000 */
  flushInterval?: number;
  /** The collector's identity secret: login answers with a token signed with it. @default none: no token */
  identitySecret?: string;
  /** The server client's write key (the collector's server write key, trusted without tokens). @default none */
  serverWriteKey?: string;
  /** Errors the server client absorbed (the collector down, ...). @default printed to stderr */
  onError?: (error: ServerError) => void;
}

export interface ExampleServer {
  /** e.g. `http://127.0.0.1:8788` */
  url: string;
  port: number;
  /** The idstitch server client: `flush()` it to send the queued API calls now. */
  client: ServerClient;
  /** Stops the server, then flushes and closes the client. */
  close(): Promise<void>;
}

/** A request after the auth middleware below: `user` is set while someone is logged in. */
type AuthedRequest = Request & { user?: SessionUser };

const PROJECTS = ['Onboarding flow', 'Billing API', 'Status page'];

export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const secret = options.secret ?? 'idstitch-example-secret';
  // `origin` is known once the server listens, before it serves a page.
  const pageOptions: PageOptions = { endpoint: options.endpoint, ...(options.flushInterval ? { flushInterval: options.flushInterval } : {}), origin: '' };
  const client = createServerClient({
    endpoint: options.endpoint,
    ...(options.serverWriteKey ? { writeKey: options.serverWriteKey } : {}),
    ...(options.flushInterval ? { flushInterval: options.flushInterval } : {}),
    onError: options.onError ?? ((error) => console.error(`example API: ${error.message}`)),
  });

  const app = express();
  // The app's own auth: who is logged in, from its signed session cookie.
  app.use((req: AuthedRequest, _res: Response, next: NextFunction) => {
    req.user = readSession(secret, req);
    next();
  });
  // One `API Call` per API request, sent after the response, off the request path.
  app.use(idstitchMiddleware<AuthedRequest, Response>({
    client,
    identifyUser: (req) => req.user?.id,
    identifyCompany: (req) => req.user?.companyId,
    skip: [/^\/(?!api\/)/], // pages and static files are not API calls
    // The pages' trackers have no write key: the client's key is the server's, which names no cookie.
    writeKey: null,
  }));

  app.post('/api/login', express.json(), (req: AuthedRequest, res: Response) => {
    const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
    const domain = /^[^@\s]+@([^@\s]+\.[^@\s]+)$/.exec(email)?.[1];
    if (!domain) return void res.status(400).json({ error: 'an email address is required' });
    // The user id is an HMAC of the email: stable, opaque, not guessable from the browser.
    const user: SessionUser = { id: hmacUid(secret, email), companyId: domain, email };
    res.setHeader('set-cookie', sessionCookie(secret, user, sessionDomain(req.hostname)));
    // Signed for this user id at each login: the page hands it to identifyUser, so the collector believes it.
    const identityToken = options.identitySecret ? signIdentity(options.identitySecret, user.id) : undefined;
    res.json({ userId: user.id, companyId: user.companyId, company: { name: domain }, identityToken });
  });
  app.post('/api/logout', (req, res) => {
    res.setHeader('set-cookie', clearedSessionCookie(sessionDomain(req.hostname)));
    res.status(204).end();
  });
  app.get('/api/me', (req: AuthedRequest, res) => void res.json({ user: req.user ? { id: req.user.id, email: req.user.email } : null }));
  app.get('/api/projects', (req: AuthedRequest, res) => {
    const owner = req.user?.companyId ?? 'demo';
    res.json({ owner, projects: PROJECTS.map((name, i) => ({ id: `${owner}-${i + 1}`, name })) });
  });

  // The example sites.
  const sendFile = async (res: Response, root: string, file: string, read = readExampleFile) => {
    const served: ServedFile | undefined = await read(root, file, pageOptions);
    if (!served) return void res.status(404).type('text').send('not found');
    res.type(served.type).set('cache-control', 'no-store').send(served.body);
  };
  const examples = join(REPO, 'examples');
  app.get('/', (_req, res) => sendFile(res, examples, 'index.html'));
  // Express matches `/docs` for `/docs/` too: only the bare one is redirected, so relative links work.
  app.get('/docs{/*file}', (req, res) => {
    if (req.path === '/docs') return res.redirect('/docs/');
    return sendFile(res, join(examples, 'script-tag'), (req.params as { file?: string[] }).file?.join('/') || 'index.html', readDocsFile);
  });
  // An SPA: its scripts by name, every other path is the app's shell (history routing).
  app.get('/app{/*route}', (req, res) => {
    if (req.path === '/app') return res.redirect('/app/');
    const route = (req.params as { route?: string[] }).route?.join('/') ?? '';
    return sendFile(res, join(examples, 'spa'), /\.(js|css)$/.test(route) ? route : 'index.html');
  });
  app.use('/dist', express.static(join(REPO, 'dist'), { index: false }));
  // The npm build's one bare import, mapped by the SPA's import map.
  app.use('/node_modules/uuid', express.static(join(REPO, 'node_modules/uuid'), { index: false }));

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8788, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  pageOptions.origin = `http://${options.host ?? '127.0.0.1'}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    client,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => client.close())),
  };
}
