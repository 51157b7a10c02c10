/**
 * The two kinds of error `idstitch/server` has: a bad option, thrown at setup
 * where the developer sees it, and everything at run time, which is handed to
 * `onError` (or, without one, logged once per message) and never thrown into
 * the host's requests.
 */

/** What went wrong at run time; stable, for code that reacts to it. */
export type ServerErrorCode =
  /** An `identifyUser` / `identifyCompany` / `properties` hook threw or rejected. */
  | 'hook'
  /** A hook or a client call gave an id that section 2 of the contract refuses. */
  | 'invalid-id'
  /** A client call with a bad argument (no event name, neither id, a message over 32 KB, ...). */
  | 'invalid-argument'
  /** The collector refused a batch (4xx) or some of its messages (`rejected`). */
  | 'delivery'
  /** The queue was full while the collector could not be reached: the oldest messages were dropped. */
  | 'queue-full'
  /** A call after `close()`, or messages still unsent when `close()` gave up. */
  | 'closed'
  /** The delivery thread could not start or died; delivery goes on in the event loop (the message counts what was lost). */
  | 'thread';

/** An error `idstitch/server` absorbed and reported through `onError`. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(readonly code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A bad option of `createServerClient`, `idstitchMiddleware` or `idstitchFastify`; the message names both. */
export class ServerOptionError extends TypeError {
  override readonly name = 'ServerOptionError';
  constructor(readonly where: string, readonly option: string, problem: string) {
    super(`${where}: option \`${option}\` ${problem}`);
  }
}

/** Calls `onError` without ever letting it throw into the caller. */
export function reportTo(onError: ((error: ServerError) => void) | undefined, error: ServerError): void {
  if (!onError) return;
  try {
    onError(error);
  } catch {
    // A throwing onError must not break delivery or the host's request.
  }
}

/** Distinct messages remembered by {@link createReporter}: a loop of distinct bad calls must not grow the set forever. */
const LOGGED_LIMIT = 100;

/**
 * The client's report: to `onError` when one is given, else to the console,
 * once per distinct message (like the browser SDK's logger), so that a wrong
 * write key or an unreachable collector is not silent. Delivery-thread errors
 * arrive here too: the thread posts them to the main thread, which reports them.
 */
export function createReporter(onError: ((error: ServerError) => void) | undefined): (error: ServerError) => void {
  if (onError) return (error) => reportTo(onError, error);
  const logged = new Set<string>();
  return (error) => {
    const line = `${error.code}: ${error.message}`;
    if (logged.has(line)) return;
    if (logged.size < LOGGED_LIMIT) logged.add(line);
    try {
      console.error(`[idstitch/server] ${line} (set onError to handle errors yourself)`);
    } catch {
      // A broken console must not break the host either.
    }
  };
}
