import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createPluginHost } from '../../core/loader/create-plugin-host.js';
import type { HostTimeouts } from '../../core/loader/plugin-host.js';

/** A plugin host on a temp dir with silent logs, for loader tests. */
export function makeHost(timeouts: Partial<HostTimeouts> = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'spindle-host-'));
  const runtime = createPluginHost({
    logger: pino({ level: 'silent' }),
    dataRoot: path.join(root, 'data'),
    kernelVersion: '0.0.0-test',
    hookTimeoutMs: 1_000,
    timeouts: { activationMs: 2_000, drainMs: 2_000, deactivationMs: 1_000, ...timeouts },
    reportJobState: () => undefined,
    signedUp: () => undefined,
  });
  return { root, ...runtime };
}
