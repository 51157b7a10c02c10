/** An error the tracker absorbed instead of throwing into the page. */
export class IdstitchError extends Error {
  override readonly name = 'IdstitchError';
  /** What went wrong, stable for code: `invalid-option`, `invalid-argument`, `callback`, `delivery`, `queue-full`, `internal`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const PREFIX = '[idstitch]';

/** `String(value)` that cannot throw: pages throw null-prototype objects and Proxies too. */
export function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'unprintable value';
  }
}

/**
 * The tracker's only way to speak: debug lines when asked for, warnings for
 * bad input, and every absorbed error handed to `onError`. Never throws.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  /** Logs once per distinct message: a loop of bad calls must not flood the console. */
  warn(message: string): void;
  /**
   * Logged like a warning (once per message), and handed to `onError` every
   * time as an {@link IdstitchError}; `cause`, when given, is appended to the message.
   */
  error(code: string, message: string, cause?: unknown): void;
}

export function createLogger(debug: boolean, onError?: (error: Error) => void): Logger {
  const warned = new Set<string>();
  const log = (method: 'log' | 'warn' | 'error', args: unknown[]) => {
    try {
      console[method](PREFIX, ...args);
    } catch {
      // A broken console must not break the page.
    }
  };
  const once = (method: 'warn' | 'error', message: string) => {
    if (!warned.has(message)) log(method, [message]);
    // Bounded: a page that feeds endless distinct bad values must not grow this forever.
    if (warned.size < 100) warned.add(message);
  };
  return {
    debug: (...args) => debug && log('log', args),
    warn: (message) => once('warn', message),
    error(code, message, cause) {
      const error = new IdstitchError(code, cause === undefined ? message : `${message}: ${describe(cause)}`);
      once('error', error.message);
      try {
        onError?.(error);
      } catch (thrown) {
        log('error', ['onError threw', thrown]);
      }
    },
  };
}
