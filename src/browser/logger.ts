import { attempt } from './attempt.js';
import { IdstitchError } from './errors.js';
import type { IdstitchErrorCode } from './errors.js';

/**
 * The tracker's only way to speak: debug lines when asked for, warnings for
 * bad input, and every absorbed error handed to `onError`. Never throws.
 */
export interface Logger {
  _debug(...args: unknown[]): void;
  /** Logs once per distinct message: a loop of bad calls must not flood the console. */
  _warn(message: string): void;
  /**
   * Logged like a warning (once per message), and handed to `onError` every
   * time as an {@link IdstitchError}; `cause`, when given, is appended to the message.
   */
  _error(code: IdstitchErrorCode, message: string, cause?: unknown): void;
}

/** `onError` is called only when it is a function: a bad config passes on whatever the page gave. */
export function createLogger(debug?: boolean, onError?: unknown): Logger {
  const warned = new Set<string>();
  // A broken console must not break the page.
  const log = (method: 'log' | 'warn' | 'error', ...args: unknown[]) => attempt(() => console[method]('[idstitch]', ...args));
  const once = (method: 'warn' | 'error', message: string) => {
    if (!warned.has(message)) log(method, message);
    // Bounded: a page that feeds endless distinct bad values must not grow this forever.
    if (warned.size < 100) warned.add(message);
  };
  return {
    _debug: (...args) => debug && log('log', ...args),
    _warn: (message) => once('warn', message),
    _error(code, message, cause) {
      // String() of what pages throw can throw too (null-prototype objects, Proxies).
      const error = new IdstitchError(code, cause === undefined ? message : `${message}: ${attempt(() => String(cause), 'unprintable')}`);
      once('error', error.message);
      try {
        if (typeof onError === 'function') onError(error);
      } catch (thrown) {
        log('error', 'onError threw', thrown);
      }
    },
  };
}
