/**
 * Delivery on a worker thread, seen from the event loop. The host's event
 * loop keeps only what must happen there (the hooks, a few clock reads);
 * building the `API Call` messages, batching, POSTs and retries run on the
 * thread, on another core.
 *
 * Messages go over in flat arrays, every {@link HAND_OVER_EVERY} messages or
 * {@link HAND_OVER_MS} after the first one waiting. The thread reports its
 * counters back after each POST, so `stats()` trails the thread by one
 * answer; after `flush()` or `close()` it is exact. If the thread cannot
 * start, or dies, delivery goes on in the event loop (reported as a `thread`
 * error, with what the dead thread held counted as dropped).
 */
import type { Worker } from 'node:worker_threads';
import type { DeliveryStats, QueuedMessage } from './queue.js';
import { DELIVERY_THREAD_KEY, packApiCall, unpackItems, type FromThread, type ToThread } from './wire.js';
import { ServerError } from '../errors.js';
import { createLocalDeliverer, type Deliverer, type DeliveryOptions } from './local.js';
import type { ApiCallRecord } from '../messageJson.js';
import { startThread, type ThreadCode } from '../../node/threads.js';
import { DELIVERY_WORKER_SCRIPT } from './workerSource.js';

/** Messages gathered before they go to the thread in one message. */
const HAND_OVER_EVERY = 64;
/** Longest wait of a message before it goes to the thread. */
const HAND_OVER_MS = 10;

const ZERO: DeliveryStats = { queued: 0, sent: 0, dropped: 0, refused: 0 };

/** The thread's code: the script the build embeds, or the TypeScript module when running from source. */
const threadCode = (): ThreadCode =>
  DELIVERY_WORKER_SCRIPT ? { script: DELIVERY_WORKER_SCRIPT } : { module: new URL('./worker.ts', import.meta.url).href };

/** `code` is what the thread runs: the delivery worker unless a test gives a thread that fails. */
export function createThreadDeliverer(options: DeliveryOptions, report: (error: ServerError) => void, code: () => ThreadCode = threadCode): Deliverer {
  let worker: Worker | undefined;
  /** Settles once the thread is ready for messages, or delivery has moved to the event loop. */
  let ready: Promise<void> | undefined;
  let becameReady = () => {};
  let isReady = false;
  /** Delivery in the event loop, once the thread could not start or died. */
  let local: Deliverer | undefined;
  /** Messages not yet handed over, flat (wire.ts), and their count. */
  let waiting: unknown[] = [];
  let waitingCount = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Messages handed to the thread, how many it has taken in, and its last counters. */
  let handed = 0;
  let received = 0;
  let remote: DeliveryStats = ZERO;
  /** Messages a dead thread took with it. */
  let lost = 0;
  const answers = new Map<number, () => void>();
  let nextAnswer = 0;
  let closing: Promise<void> | undefined;
  /** The id of the close question: once answered, the thread's end is no failure. */
  let closeId = 0;

  const handOver = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!waitingCount) return;
    if (local) {
      unpackItems(waiting, (json, bytes) => local!.push({ json, bytes }), local.pushApiCall);
    } else if (worker && isReady) {
      worker.postMessage({ items: waiting } satisfies ToThread);
      handed += waitingCount;
    } else {
      return; // still starting: readiness hands them over
    }
    waiting = [];
    waitingCount = 0;
  };

  /** From now on, delivery runs in the event loop. */
  const failOver = (why: string) => {
    if (local) return;
    worker = undefined;
    lost += handed - received + remote.queued;
    received = handed;
    remote = { ...remote, queued: 0 };
    local = createLocalDeliverer(options, report);
    report(new ServerError('thread', `the delivery thread ${why}${lost ? `; ${lost} messages it held are lost` : ''}; delivering on the event loop instead`));
    for (const answer of answers.values()) answer();
    answers.clear();
    becameReady();
    handOver();
  };

  const start = () => {
    ready = new Promise((resolve) => (becameReady = resolve));
    let thread: Worker;
    try {
      thread = startThread(code(), { [DELIVERY_THREAD_KEY]: options });
    } catch (error) {
      return failOver(`could not start (${String(error)})`);
    }
    worker = thread;
    thread.unref();
    thread.on('message', (message: FromThread) => {
      // A thread that failed over or closed may still have messages in the port: its counters are settled already.
      if (worker !== thread) return;
      if ('ready' in message) {
        isReady = true;
        becameReady();
        return handOver();
      }
      if ('error' in message) return report(new ServerError(message.error.code, message.error.message));
      remote = message.stats;
      received = message.received;
      if ('done' in message) {
        if (message.done === closeId) worker = undefined;
        answers.get(message.done)?.();
        answers.delete(message.done);
        if (!answers.size) thread.unref();
      }
    });
    // Dying while a flush or close waits is a failure like any other: what the thread held is
    // counted and reported, and the question goes on in the event loop (see `ask`).
    thread.on('error', (error) => {
      if (worker === thread) failOver(`${isReady ? 'failed' : 'could not start'} (${error.message})`);
    });
    thread.on('exit', (code) => {
      if (worker === thread) return failOver(`stopped (exit code ${code})`);
      // Whatever was asked of it, it will not answer now.
      for (const answer of answers.values()) answer();
      answers.clear();
    });
  };

  const queued = () => {
    waitingCount++;
    if (!ready) start();
    if (waitingCount >= HAND_OVER_EVERY) handOver();
    else if (!timer) {
      timer = setTimeout(handOver, HAND_OVER_MS);
      timer.unref();
    }
  };

  /**
   * Hands over what waits, then sends `question`; resolves at the thread's
   * answer, or, if the thread fails meanwhile, once the event loop has done
   * the same with what it took over.
   */
  const ask = async (question: (id: number) => ToThread, inEventLoop: (d: Deliverer) => Promise<void>, isClose = false): Promise<void> => {
    if (ready) {
      worker?.ref(); // a starting thread must not let a process with nothing else to do exit
      await ready;
    }
    handOver();
    if (local) return inEventLoop(local);
    const thread = worker;
    if (!thread) return; // nothing was ever queued
    const id = ++nextAnswer;
    if (isClose) closeId = id;
    thread.ref(); // the answer must arrive before a process with nothing else to do exits
    await new Promise<void>((resolve) => {
      answers.set(id, resolve);
      thread.postMessage(question(id) satisfies ToThread);
    });
    if (local) return inEventLoop(local);
  };

  return {
    push(message: QueuedMessage) {
      waiting.push(message.json, message.bytes);
      queued();
    },
    pushApiCall(call: ApiCallRecord) {
      packApiCall(waiting, call);
      queued();
    },
    flush: () => ask((id) => ({ flush: id }), (d) => d.flush()),
    close() {
      closing ??= (async () => {
        const thread = worker;
        await ask((id) => ({ close: id }), (d) => d.close(), true);
        worker = undefined;
        await thread?.terminate();
      })();
      return closing;
    },
    stats(): DeliveryStats {
      const here = local?.stats() ?? ZERO;
      return {
        queued: waitingCount + (handed - received) + remote.queued + here.queued,
        sent: remote.sent + here.sent,
        dropped: remote.dropped + lost + here.dropped,
        refused: remote.refused + here.refused,
      };
    },
  };
}
