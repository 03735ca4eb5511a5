/**
 * Names the in-process plugin that blocks the kernel's event loop. The plugin-call seam writes the
 * slot of the plugin whose code it runs into a shared array (`markRunning`); a worker thread
 * watches a heartbeat the main thread bumps, and when it stops for longer than the threshold, reads
 * which plugin is running at that moment. The worker writes one line to stderr at once (the main
 * thread cannot log while it is blocked), and the main thread logs the stall with pino once it runs
 * again. Plugins in their own process cannot block the kernel; they are watched by heartbeats.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type CallSite, RUNNING, releaseSlot, slotOf } from './plugin-call.js';

/** RUNNING[0] is the seam's (who runs); RUNNING[1] is the main thread's heartbeat. */
const HEARTBEAT = 1;
const labels = new Map<number, string>();
let watchdog: Worker | undefined;

/** A slot for an instance, labelled `plugin@version` for the watchdog; the seam marks it while its code runs. */
export function watchedSlot(site: CallSite & { version: string }): number {
  const slot = slotOf(site);
  const label = `${site.name}@${site.version}`;
  labels.set(slot, label);
  watchdog?.postMessage({ slot, label });
  return slot;
}

export function forgetSlot(slot: number): void {
  releaseSlot(slot);
  labels.delete(slot);
  watchdog?.postMessage({ slot, label: null });
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { marks, thresholdMs } = workerData;
const labels = new Map(workerData.labels);
parentPort.on('message', (m) => (m.label === null ? labels.delete(m.slot) : labels.set(m.slot, m.label)));
let last = Atomics.load(marks, 1), since = Date.now(), reported = false;
setInterval(() => {
  const beat = Atomics.load(marks, 1);
  if (beat !== last) { last = beat; since = Date.now(); reported = false; return; }
  const blocked = Date.now() - since;
  if (reported || blocked < thresholdMs) return;
  reported = true;
  const slot = Atomics.load(marks, 0);
  const plugin = slot ? labels.get(slot) || 'a plugin' : undefined;
  const text = plugin ? plugin + ' has blocked the event loop for ' + blocked + ' ms' : 'the event loop has been blocked for ' + blocked + ' ms (no plugin code is running)';
  process.stderr.write(JSON.stringify({ level: 40, time: Date.now(), plugin, blockedMs: blocked, msg: 'spindle watchdog: ' + text }) + '\\n');
  parentPort.postMessage({ plugin, blockedMs: blocked });
}, Math.max(20, Math.floor(thresholdMs / 5)));
`;

/** Start watching (once per process): a stall longer than `thresholdMs` is logged with the plugin that caused it. */
export function startLoopWatchdog(logger: Logger, thresholdMs: number): () => Promise<void> {
  if (watchdog) return async () => undefined;
  const beat = setInterval(() => Atomics.add(RUNNING, HEARTBEAT, 1), Math.max(10, Math.floor(thresholdMs / 10)));
  beat.unref();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { marks: RUNNING, thresholdMs, labels: [...labels] },
  });
  worker.unref();
  worker.on('message', (stall: { plugin?: string; blockedMs: number }) => {
    if (stall.plugin)
      logger.warn(
        { plugin: stall.plugin, blockedMs: stall.blockedMs },
        `plugin ${stall.plugin} blocked the event loop for at least ${stall.blockedMs} ms; run it isolated, or fix it`,
      );
    else
      logger.warn(
        { blockedMs: stall.blockedMs },
        `the event loop was blocked for at least ${stall.blockedMs} ms outside any plugin`,
      );
  });
  worker.on('error', (error) => logger.warn({ err: error.message }, 'the event-loop watchdog stopped'));
  watchdog = worker;
  return async () => {
    clearInterval(beat);
    watchdog = undefined;
    await worker.terminate();
  };
}
