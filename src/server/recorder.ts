/**
 * The part `idstitchMiddleware` and `idstitchFastify` share. `begin` runs on
 * the request path and is synchronous and cheap (a cookie lookup, a clock
 * read); `end` runs after the response finished: hooks, message, queue.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { API_CALL_EVENT, type Properties } from '../protocol/messages.js';
import { anonymousIdCookieName } from '../protocol/storageKeys.js';
import { apiCallIntakeOf } from './client.js';
import { fieldFilter } from './apiCall.js';
import { countResponseBytes, prepareResponseCounting, requestBytes } from './bytes.js';
import { anonymousIdSetCookie, isHttps, readAnonymousId } from './cookies.js';
import { reportTo, ServerError } from './errors.js';
import { describeIdProblem } from '../protocol/ids.js';
import { cachedCheckId } from './idCheck.js';
import { apiCallProperties, type ApiCallRecord } from './messageJson.js';
import { resolveCallOptions, type HookResult, type SkipRule } from './options.js';

/** What `begin` notes about a request. */
export interface CallStart {
  /** Epoch ms: the message's `timestamp`. */
  at: number;
  /** `performance.now()` for `durationMs`. */
  t0: number;
  anonymousId: string | null;
  requestBytes: number | null;
  responseBytes: () => number;
}

/** What the framework layer knows once the response finished. */
export interface CallEnd {
  method: string;
  route: string | null;
  path: string;
  status: number;
  aborted: boolean;
}

type Id = string | null;

function compileSkip<Req, Res>(rule: SkipRule<Req, Res>): (end: CallEnd, req: Req, res: Res) => boolean {
  if (typeof rule === 'function') return (_end, req, res) => rule(req, res);
  const exact = new Set(rule.filter((r): r is string => typeof r === 'string'));
  const patterns = rule.filter((r): r is RegExp => r instanceof RegExp);
  if (!exact.size && !patterns.length) return () => false;
  return ({ path, route }) =>
    exact.has(path) || (route !== null && exact.has(route)) || patterns.some((p) => { p.lastIndex = 0; return p.test(path); });
}

export function createRecorder<Req, Res>(where: string, input: unknown) {
  const o = resolveCallOptions<Req, Res>(where, input);
  const { client } = o;
  // null: the browser's tracker has no key, whatever the client's is.
  const cookieName = anonymousIdCookieName(o.writeKey === undefined ? client.writeKey : (o.writeKey ?? undefined));
  const report = o.onError ? (error: ServerError) => reportTo(o.onError, error) : client.report;
  const filter = fieldFilter(o.dropFields, o.maskFields);
  const skip = compileSkip(o.skip);
  const reissue = { domain: o.cookieDomain, expiryDays: o.cookieExpiryDays };
  prepareResponseCounting();

  const verdictOf = cachedCheckId();
  const hookFailed = (name: string, error: unknown): null => {
    report(new ServerError('hook', `${name} threw: ${error instanceof Error ? error.message : String(error)}; the call counts as anonymous`, { cause: error }));
    return null;
  };
  const hookId = (name: string, value: unknown): Id => {
    if (value === undefined || value === null) return null;
    const verdict = verdictOf(value);
    if (verdict.ok) return verdict.id;
    report(new ServerError('invalid-id', `${name} returned an id that ${describeIdProblem(verdict.problem, value)}; the call counts as anonymous`));
    return null;
  };

  /** A hook's id: sync where the hook is, a promise only where it returned one. Never throws or rejects. */
  const runHook = (name: string, hook: ((req: Req, res: Res) => HookResult) | undefined, req: Req, res: Res): Id | Promise<Id> => {
    if (!hook) return null;
    try {
      const result = hook(req, res);
      return result instanceof Promise || typeof (result as PromiseLike<unknown> | null)?.then === 'function'
        ? Promise.resolve(result).then((value) => hookId(name, value), (error: unknown) => hookFailed(name, error))
        : hookId(name, result);
    } catch (error) {
      return hookFailed(name, error);
    }
  };

  const extraProperties = (req: Req, res: Res): Properties | undefined => {
    if (!o.properties) return undefined;
    try {
      const extra = o.properties(req, res);
      return extra && typeof extra === 'object' ? extra : undefined;
    } catch (error) {
      report(new ServerError('hook', `properties threw: ${String(error)}; recorded without them`, { cause: error }));
      return undefined;
    }
  };

  /** The id of a call that has neither a user nor the SDK's cookie, or null when such calls are dropped. */
  const anonymousIdOf = (start: CallStart, userId: Id): string | null | false => {
    if (start.anonymousId || userId) return start.anonymousId;
    return o.anonymousCalls === 'drop' ? false : `api:${randomUUID()}`;
  };
  const send = (start: CallStart, properties: Properties, userId: Id, companyId: Id) => {
    const anonymousId = anonymousIdOf(start, userId);
    if (anonymousId !== false) client.track({ userId, anonymousId, companyId, event: API_CALL_EVENT, properties, timestamp: start.at });
  };
  // A client from createServerClient takes the call as plain values and builds its message where delivery runs
  // (on its thread, by default); extra properties and field edits take the general path of `client.track`.
  const intake = !o.properties && !o.dropFields.length && !o.maskFields.length ? apiCallIntakeOf(client) : undefined;
  const hand = (call: ApiCallRecord, start: CallStart, userId: Id, companyId: Id) => {
    const anonymousId = anonymousIdOf(start, userId);
    if (anonymousId === false) return;
    call.anonymousId = anonymousId;
    call.userId = userId;
    call.companyId = companyId;
    intake!(call);
  };

  return {
    /**
     * On the request path: notes the time and the SDK's cookie, counts the
     * response bytes, and re-issues the cookie through `setCookie` when
     * `serverCookie` is on. Synchronous and never throws.
     */
    begin(req: IncomingMessage, res: ServerResponse, setCookie: (value: string) => void): CallStart | null {
      try {
        const cookie = req.headers.cookie;
        const anonymousId = cookie ? readAnonymousId(cookie, cookieName) : null;
        if (anonymousId && o.serverCookie) setCookie(anonymousIdSetCookie(cookieName, anonymousId, isHttps(req), reissue));
        return { at: Date.now(), t0: performance.now(), anonymousId, requestBytes: requestBytes(req), responseBytes: countResponseBytes(res) };
      } catch (error) {
        report(new ServerError('hook', `idstitch could not observe a request: ${String(error)}`, { cause: error }));
        return null;
      }
    },

    /** After the response: runs the hooks (sync or async), builds the `API Call` message and queues it. Never throws. */
    end(req: Req, res: Res, start: CallStart, end: CallEnd): void {
      try {
        if (skip(end, req, res)) return;
        const durationMs = Math.round((performance.now() - start.t0) * 100) / 100;
        const responseBytes = start.responseBytes();
        const call: ApiCallRecord = {
          at: start.at, anonymousId: null, userId: null, companyId: null, method: end.method, route: end.route, path: end.path,
          status: end.status, durationMs, requestBytes: start.requestBytes, responseBytes, aborted: end.aborted,
        };
        let deliver: (userId: Id, companyId: Id) => void;
        if (intake) {
          deliver = (userId, companyId) => hand(call, start, userId, companyId);
        } else {
          // Extra properties may override the core ones (e.g. a `route` where the framework knows none).
          const core = apiCallProperties(call);
          const extra = extraProperties(req, res);
          const properties = filter(extra ? { ...core, ...extra } : core);
          deliver = (userId, companyId) => send(start, properties, userId, companyId);
        }
        const userId = runHook('identifyUser', o.identifyUser, req, res);
        const companyId = runHook('identifyCompany', o.identifyCompany, req, res);
        if (typeof userId === 'object' && userId !== null) {
          void Promise.all([userId, companyId]).then(([u, c]) => deliver(u, c));
        } else if (typeof companyId === 'object' && companyId !== null) {
          void companyId.then((c) => deliver(userId, c));
        } else {
          deliver(userId, companyId);
        }
      } catch (error) {
        report(new ServerError('hook', `idstitch could not record an API call: ${String(error)}`, { cause: error }));
      }
    },
  };
}
