/**
 * The collector's errors: a bad option (setup, where the operator sees it) and
 * the HTTP answers a request gets. Each class's name is its `name`.
 */

/** The statuses the collector answers with a reason: bad input, keys, tokens, missing, too large, the wrong type, busy. */
export type HttpErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 503;

/**
 * An error that becomes an HTTP answer `{ ok: false, reason }` with its
 * status code; anything else is a 500.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  /**
   * @param retryAfterSeconds sent as `Retry-After`: when a client (both idstitch SDKs, Segment's) should try again
   */
  constructor(readonly statusCode: HttpErrorStatus, readonly reason: string, readonly retryAfterSeconds?: number) {
    super(reason);
  }
}

/** 400: the input is malformed; `reason` says how. */
export const badRequest = (reason: string) => new HttpError(400, reason);

/** 413: the body (or one message on a single-message route) is over its limit. */
export const payloadTooLarge = (reason: string) => new HttpError(413, reason);

/**
 * 503 with `Retry-After`: more is waiting to be written than the backlog
 * limit allows. Nothing of the refused batch was stored; the SDKs retry it.
 */
export const backlogFull = (what: string) =>
  new HttpError(503, `the collector is behind: ${what} wait to be written; retry after the Retry-After seconds`, 1);

/** 503 with `Retry-After`: a query ran (`took`) or waited for a reader (`waited`) past its time limit. */
export const queryOverLimit = (what: 'took' | 'waited', limitMs: number) =>
  new HttpError(503, `the query ${what} longer than its limit of ${limitMs} ms; try a narrower one, or again later`, 1);

/** A bad option; the message names it as the user wrote it (flag, variable or property). */
export class CollectorOptionError extends Error {
  override readonly name = 'CollectorOptionError';
  constructor(readonly option: string, problem: string) {
    super(`idstitch collector: ${option} ${problem}`);
  }
}
