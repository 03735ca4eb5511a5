import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { container } from 'tsyringe';
import { createKernelHooks } from '../../core/hooks.js';
import { PluginHost, type HostTimeouts } from '../../core/loader/plugin-host.js';
import { createRegistries } from '../../core/registries.js';

/** A PluginHost on a temp dir with silent logs, for loader tests. */
export function makeHost(timeouts: Partial<HostTimeouts> = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'spindle-host-'));
  const hooks = createKernelHooks();
  const registries = createRegistries();
  const logger = pino({ level: 'silent' });
  const host = new PluginHost(
    { hooks, registries, logger, container: container.createChildContainer(), dataRoot: path.join(root, 'data'), kernelVersion: '0.0.0-test', hookTimeoutMs: 1_000, reportJobState: () => undefined, signedUp: () => undefined },
    { activationMs: 2_000, drainMs: 2_000, deactivationMs: 1_000, ...timeouts },
    logger,
  );
  return { root, hooks, registries, host };
}
