/**
 * `idstitchMiddleware`: one `API Call` message per request, for Express 5,
 * Connect and plain `node:http`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf } from './apiCall.js';
import type { ApiCallOptions } from './options.js';
import { createRecorder } from './recorder.js';

/** Express's additions to the request, read when present (Connect and node:http have none). */
interface RoutedRequest {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

/** The route template Express matched (`req.baseUrl` + `req.route.path`, so nested routers give the full template), or null. */
function expressRoute(req: RoutedRequest): string | null {
  const path = req.route?.path;
  if (typeof path === 'string') return (req.baseUrl ?? '') + path;
  if (path instanceof RegExp || Array.isArray(path)) return (req.baseUrl ?? '') + String(path);
  return null;
}

/** The middleware: Express / Connect call it with `next`; on plain node:http call it first thing in the handler, without. */
export type IdstitchMiddleware<Req extends IncomingMessage, Res extends ServerResponse> = (req: Req, res: Res, next?: (error?: unknown) => void) => void;

/**
 * Records every request as an `API Call` (contract section 7), attributed to
 * the user and company the hooks return and to the browser SDK's anonymous id
 * when the request carries its cookie. The message is built and queued after
 * the response finished; the request itself is never delayed or failed.
 * Options are checked here: a bad one throws an `ServerOptionError` naming it.
 *
 * Type the hooks with your framework's request: `idstitchMiddleware<Request, Response>({ ... })`.
 *
 * @example
 * app.use(idstitchMiddleware<Request, Response>({
 *   client,
 *   identifyUser: (req) => req.user?.id,
 *   identifyCompany: (req) => req.user?.companyId,
 *   skip: ['/healthz'],
 * }));
 * // node:http
 * const track = idstitchMiddleware({ client });
 * createServer((req, res) => { track(req, res); handle(req, res); });
 */
export function idstitchMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options: ApiCallOptions<Req, Res>,
): IdstitchMiddleware<Req, Res> {
  const recorder = createRecorder<Req, Res>('idstitchMiddleware', options);
  return function idstitch(req, res, next) {
    const start = recorder.begin(req, res, (cookie) => res.appendHeader('set-cookie', cookie));
    if (start) {
      // 'close' follows 'finish' on every response, and also comes alone when the client went away.
      // `on` with a flag rather than `once`: no wrapper to bind and remove on every request.
      let recorded = false;
      res.on('close', () => {
        if (recorded) return;
        recorded = true;
        const routed = req as RoutedRequest;
        const end = { method: req.method ?? 'GET', route: expressRoute(routed), path: pathOf(routed.originalUrl ?? req.url), status: res.statusCode, aborted: !res.writableFinished };
        recorder.end(req, res, start, end);
      });
    }
    next?.();
  };
}
