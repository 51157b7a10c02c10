/**
 * An error that becomes an HTTP answer `{ ok: false, reason }` with its
 * status code; anything else is a 500.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(readonly statusCode: number, readonly reason: string) {
    super(reason);
  }
}

/** 400: the input is malformed; `reason` says how. */
export const badRequest = (reason: string) => new HttpError(400, reason);

/** 413: the body (or one message on a single-message route) is over its limit. */
export const payloadTooLarge = (reason: string) => new HttpError(413, reason);
