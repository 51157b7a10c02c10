import type { Logger } from './logger.js';

/** JSON.stringify that survives what pages pass in: cycles, BigInt, getters that throw. */
export function serialize(message: { properties?: unknown; traits?: unknown }, logger: Logger): string {
  try {
    return JSON.stringify(message);
  } catch {
    logger.warn('a message held values JSON cannot carry (a cycle, a BigInt or a throwing getter); they were replaced');
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
  try {
    return JSON.stringify(message, replacer);
  } catch {
    return JSON.stringify({ ...message, properties: message.properties && {}, traits: message.traits && {} });
  }
}
