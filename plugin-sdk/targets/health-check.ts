import { request } from 'node:http';
import type { ExecResult } from '../index.js';
import { requestTarget } from './replica-address.js';
import type { Sleep } from './timing.js';

export interface ProbeResult {
  ok: boolean;
  /** What the last try saw, for error messages: `HTTP 503`, `ECONNREFUSED`, `timed out`. */
  detail: string;
}

/** One GET of `url` (an `http://` or `http+unix://` URL); 2xx is healthy. Never rejects. */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const { label: _, ...target } = requestTarget(url);
    const req = request({ ...target, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, detail: error.code ?? error.message }));
    req.end();
  });
}

export type HealthOutcome =
  | { kind: 'healthy' }
  | { kind: 'exited'; result: ExecResult }
  | { kind: 'timeout'; last: string }
  | { kind: 'aborted' };

export interface WaitHealthyOptions {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  /** The replica's `TrackedProcess.result`: an exit ends the wait at once. */
  exited: Promise<ExecResult>;
  signal: AbortSignal;
  sleep: Sleep;
}

/** Poll `url` until it answers 2xx, the process exits, the time is up, or `signal` aborts. */
export async function waitHealthy(options: WaitHealthyOptions): Promise<HealthOutcome> {
  const seen: { exit?: ExecResult } = {};
  void options.exited.then((result) => (seen.exit = result));
  const exited = (): HealthOutcome | undefined => (seen.exit ? { kind: 'exited', result: seen.exit } : undefined);
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (options.signal.aborted) return { kind: 'aborted' };
    const early = exited();
    if (early) return early;
    const remaining = deadline - Date.now();
    const answer = await probe(options.url, Math.max(50, Math.min(1_000, remaining)));
    if (answer.ok) return { kind: 'healthy' };
    last = answer.detail;
    const late = exited();
    if (late) return late;
    if (Date.now() >= deadline) return { kind: 'timeout', last };
    await options.sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())), options.signal);
  }
}
