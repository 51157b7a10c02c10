/** What went wrong, stable for code that reacts to it (README "Options", `onError`). */
export type IdstitchErrorCode =
  /** A bad option: the tracker is inert. */
  | 'invalid-option'
  /** A call with a bad argument that could not be sent (a message over its byte limit, a cycle in its properties). */
  | 'invalid-argument'
  /** The page's `beforeSend` threw: that message was dropped. */
  | 'callback'
  /** The collector refused a batch for good (a 4xx): it was dropped. */
  | 'delivery'
  /** The queue (or the calls held for consent) was full: the oldest were dropped. */
  | 'queue-full'
  /** Anything else the tracker absorbed rather than throw into the page. */
  | 'internal';

/** An error the tracker absorbed instead of throwing into the page, as `onError` receives it. */
export class IdstitchError extends Error {
  override readonly name = 'IdstitchError';
  constructor(
    readonly code: IdstitchErrorCode,
    message: string,
  ) {
    super(message);
  }
}
