import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { type RunningKernel, startKernel } from '../../core/start.js';

export const ADMIN_TOKEN = 'test-admin-token';

/** A real kernel with its HTTP server on a free loopback port and a temp home. */
export async function startTestKernel(
  options: { home?: string; env?: Record<string, string>; logger?: Logger } = {},
): Promise<RunningKernel & { home: string; api: (p: string, init?: RequestInit) => Promise<Response> }> {
  const home = options.home ?? mkdtempSync(path.join(os.tmpdir(), 'spindle-kernel-'));
  const running = await startKernel({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: options.logger ?? pino({ level: process.env.SPINDLE_TEST_LOG ?? 'silent' }),
    env: { SPINDLE_ADMIN_TOKEN: ADMIN_TOKEN, SPINDLE_DRAIN_TIMEOUT_MS: '2000', ...options.env },
  });
  const api = (p: string, init: RequestInit = {}) =>
    fetch(running.url + p, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) },
    });
  return Object.assign(running, { home, api });
}

export async function uploadZip(
  api: (p: string, init?: RequestInit) => Promise<Response>,
  zip: Buffer,
  query = '',
): Promise<Response> {
  return api(`/api/v1/plugins${query}`, { method: 'POST', body: zip, headers: { 'content-type': 'application/zip' } });
}
