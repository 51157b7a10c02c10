/**
 * The delivery thread's side: builds the API calls' messages and runs the
 * delivery loop (batches, POSTs, retries), off the host's event loop. The
 * built package carries this file as a script (see workerSource.ts), so no
 * bundler can lose it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ServerError } from '../errors.js';
import { createLocalDeliverer, type DeliveryOptions } from './local.js';
import { DELIVERY_THREAD_KEY, unpackItems, type FromThread, type ToThread } from './wire.js';

function serveDelivery(options: DeliveryOptions): void {
  const port = parentPort!;
  const send = (message: FromThread) => port.postMessage(message);
  let received = 0;
  let statsDue = false;
  const postStats = () => {
    if (statsDue) return;
    statsDue = true;
    setImmediate(() => {
      statsDue = false;
      send({ stats: deliverer.stats(), received });
    });
  };
  const report = (error: ServerError) => send({ error: { code: error.code, message: error.message } });
  const deliverer = createLocalDeliverer(options, report, postStats);
  const push = (json: string, bytes: number) => deliverer.push({ json, bytes });
  port.on('message', (message: ToThread) => {
    if ('items' in message) {
      received += unpackItems(message.items, push, deliverer.pushApiCall);
      postStats();
    } else if ('flush' in message) {
      void deliverer.flush().then(() => send({ done: message.flush, stats: deliverer.stats(), received }));
    } else {
      void deliverer.close().then(() => {
        send({ done: message.close, stats: deliverer.stats(), received });
        port.close();
      });
    }
  });
  send({ ready: true });
}

const settings: unknown = isMainThread ? undefined : (workerData as Record<string, unknown> | null)?.[DELIVERY_THREAD_KEY];
if (typeof settings === 'object' && settings !== null) serveDelivery(settings as DeliveryOptions);
