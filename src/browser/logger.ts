import { attempt } from './attempt.js';
import { IdstitchError } from './errors.js';
import type { IdstitchErrorCode } from './errors.js';
import { MESSAGES } from './messages.js';
import type { MessageKey } from './messages.js';

/**
 * The tracker's only way to speak: debug lines when asked for, warnings for
 * bad input, and every absorbed error handed to `onError`. Never throws.
 */
export interface Logger {
  _debug(...args: unknown[]): void;
  /** Logs once per distinct message: a loop of bad calls must not flood the console. */
  _warn(key: MessageKey, ...details: unknown[]): void;
  /**
   * Logged like a warning (once per message), and handed to `onError` every
   * time as an {@link IdstitchError}; `cause`, when given, is appended to the message.
   */
  _error(code: IdstitchErrorCode, cause: unknown, ...details: unknown[]): void;
}

/** A message's words (README "Warnings and errors"); a production build has only its key and details. */
const text = (key: MessageKey, details: unknown[]) => MESSAGES?.[key](...details) ?? [key, ...details].join(' ');

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
    _warn: (key, ...details) => once('warn', text(key, details)),
    _error(code, cause, ...details) {
      let message = text(code, details);
      // String() of what pages throw can throw too (null-prototype objects, Proxies).
      if (cause !== undefined) message += `: ${attempt(() => String(cause), 'unprintable')}`;
      once('error', message);
      try {
        if (typeof onError === 'function') onError(new IdstitchError(code, message));
      } catch (thrown) {
        log('error', 'onError threw', thrown);
      }
    },
  };
}
