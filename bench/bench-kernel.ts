/** A real kernel (startKernel) on a loopback port with silent logs, and the HTTP calls the benchmarks make. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type RunningKernel, startKernel } from '../core/start.js';

export const ADMIN_TOKEN = 'bench-admin-token';

export interface BenchKernel {
  home: string;
  running: RunningKernel;
  /** Install by raw-body upload; resolves with the HTTP status and parsed body. */
  upload(zip: Buffer, query?: string): Promise<{ status: number; body: unknown }>;
  /** GET a plugin route; resolves with status and text (network errors reject). */
  route(plugin: string, routePath: string): Promise<{ status: number; text: string }>;
}

/**
 * Where kernel homes and scratch dirs go: `SPINDLE_BENCH_TMPDIR`, else the OS temp dir — a disk,
 * as a kernel home would be. Set `SPINDLE_BENCH_TMPDIR=/dev/shm` to take the disk out of the
 * figures; both sides of every comparison use the same root either way.
 */
export function tempRoot(): string {
  return process.env.SPINDLE_BENCH_TMPDIR || os.tmpdir();
}

export function tempHome(prefix = 'spindle-bench-'): string {
  return mkdtempSync(path.join(tempRoot(), prefix));
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

export async function startBenchKernel(home: string, env: Record<string, string> = {}): Promise<BenchKernel> {
  const running = await startKernel({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
  });
  return {
    home,
    running,
    upload: (zip, query) => upload(running.url, zip, query),
    route: (p, r) => getRoute(running.url, p, r),
  };
}

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export async function upload(url: string, zip: Buffer, query = ''): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/api/v1/plugins${query}`, {
    method: 'POST',
    body: zip,
    headers: { ...auth, 'content-type': 'application/zip' },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function getRoute(
  url: string,
  plugin: string,
  routePath: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/api/v1/plugins/${plugin}/routes/${routePath}`, { headers: auth });
  return { status: res.status, text: await res.text() };
}

/** Fail loudly when an install did not end with the plugin active. */
export function assertActive(response: { status: number; body: unknown }, what: string): void {
  const state = (response.body as { state?: string } | undefined)?.state;
  if (response.status !== 201 || state !== 'active') {
    throw new Error(
      `${what}: expected 201 active, got ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`,
    );
  }
}

/** Poll `GET <plugin>/routes/version` back to back until it answers `version`; returns when it did. */
export async function waitForVersion(url: string, plugin: string, version: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wanted = `"version":"${version}"`;
  while (Date.now() < deadline) {
    const answer = await getRoute(url, plugin, 'version').catch(() => undefined);
    if (answer?.status === 200 && answer.text.includes(wanted)) return;
  }
  throw new Error(`${plugin}@${version} did not answer within ${timeoutMs} ms`);
}
