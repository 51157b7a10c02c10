/**
 * Delivery in the thread that calls it: the transport, the batch envelope and
 * the delivery loop of one client. The event loop runs it when the client's
 * `thread` option is off; the delivery thread runs it otherwise.
 */
import { LIMITS } from '../../protocol/messages.js';
import { createDelivery, type DeliveryStats, type QueuedMessage } from './queue.js';
import { ServerError } from '../errors.js';
import { apiCallJson, type ApiCallRecord } from '../messageJson.js';
import type { ResolvedClientOptions } from '../options.js';
import { createTransport } from './transport.js';

/** What a client hands its messages to, on this thread or another. */
export interface Deliverer {
  /** Queues a message serialised by the caller (its size already checked). */
  push(message: QueuedMessage): void;
  /** Builds and queues an API call's message. */
  pushApiCall(call: ApiCallRecord): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): DeliveryStats;
}

/** The client options delivery needs: everything but `onError` (a function cannot cross to a thread). */
export type DeliveryOptions = Omit<ResolvedClientOptions, 'onError' | 'thread'>;

/** A message's size, or a report when it is over the collector's limit. */
export function messageBytes(json: string, what: string, report: (error: ServerError) => void): number | undefined {
  const bytes = Buffer.byteLength(json);
  if (bytes <= LIMITS.messageBytes) return bytes;
  report(new ServerError('invalid-argument', `${what} is ${bytes} bytes, over the collector's ${LIMITS.messageBytes}`));
  return undefined;
}

/** `settled` runs after every POST's answer has been counted (the delivery thread reports its stats then). */
export function createLocalDeliverer(o: DeliveryOptions, report: (error: ServerError) => void, settled?: () => void): Deliverer {
  const writeKeyField = o.writeKey ? `,"writeKey":${JSON.stringify(o.writeKey)}` : '';
  const envelope = (messages: string[]) => `{"batch":[${messages.join(',')}],"sentAt":"${new Date().toISOString()}"${writeKeyField}}`;
  const transport = createTransport(o);
  const delivery = createDelivery({
    ...o,
    envelope,
    envelopeBytes: Buffer.byteLength(envelope([])),
    send: settled ? (body) => transport.post(body).finally(() => setImmediate(settled)) : (body) => transport.post(body),
    report,
  });
  return {
    push: delivery.push,
    pushApiCall(call) {
      let json: string;
      try {
        json = apiCallJson(call);
      } catch (error) {
        return report(new ServerError('invalid-argument', `an API call cannot be serialised: ${String(error)}`));
      }
      const bytes = messageBytes(json, `the API call to ${call.path.slice(0, 100)}`, report);
      if (bytes !== undefined) delivery.push({ json, bytes });
    },
    flush: delivery.flush,
    close: () => delivery.close().finally(transport.close),
    stats: delivery.stats,
  };
}
