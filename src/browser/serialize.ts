import type { Logger } from './logger.js';

/** JSON.stringify that survives what pages pass in: cycles and BigInt become strings. */
export function serialize(message: { properties?: unknown; traits?: unknown }, logger: Logger): string {
  try {
    return JSON.stringify(message);
  } catch {
    logger.warn('values JSON cannot carry (cycles, BigInt) were replaced');
  }
  const seen = new WeakSet<object>();
  const replacer = (_key: string, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
  // Still throwing (a getter that throws): the caller reports it and drops this one message.
  return JSON.stringify(message, replacer);
}
