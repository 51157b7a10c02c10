import { callAt, now } from './clock.js';
import { pageContext } from './context.js';
import type { PageContext } from '../protocol/messages.js';
import { HELD_METHODS } from './api.js';
import type { Method, Started, Tracker } from './api.js';
import type { Logger } from './logger.js';
import { keepBound } from './queue.js';

type Action = ((...args: unknown[]) => unknown) | undefined;

/**
 * The consent states (README "Consent"). Pending: the calls that act wait in
 * memory with their times and pages (bounded as the queue is, the oldest
 * dropped) and nothing is read, stored or sent. Granted: `start` runs once
 * and the held calls are replayed through the public `tracker`. Denied: they
 * are forgotten, and so is everything stored (`erase` when the tracker never
 * started, its own `_stop` when it did).
 */
export function consentGate(tracker: Tracker, logger: Logger, start: () => Started, erase: () => void) {
  let started: Started | undefined;
  let held: [Method, unknown[], number, PageContext][] | undefined;
  const hold = (name: Method) => (...args: unknown[]) => {
    held!.push([name, args, now(), pageContext()]);
    keepBound(held!, logger);
  };
  return {
    /** What a public method does now: held, the started tracker's, or nothing. */
    _action: (name: Method): Action => (held ? ((HELD_METHODS as readonly string[]).includes(name) ? hold(name) : undefined) : started?.[name]),
    /** `setConsent`: an unknown state is refused with a warning and changes nothing. */
    _set(state: unknown): void {
      const calls = held;
      held = undefined;
      if (state === 'granted') {
        started ??= start();
        calls?.forEach((call) => callAt(tracker, ...call));
      } else if (state === 'pending') held = calls ?? [];
      else if (state === 'denied') {
        if (started) started._stop();
        else erase();
        started = undefined;
      } else {
        held = calls;
        logger._warn('invalid-consent');
      }
    },
  };
}
