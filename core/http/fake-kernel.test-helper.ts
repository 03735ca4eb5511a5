/** A scripted KernelApi for the HTTP tests: records every call, answers with canned views. */

import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import type { Principal } from '../../plugin-sdk/hook-types.js';
import type { VolumeFile } from '../../plugin-sdk/providers.js';
import { KernelError } from '../errors/kernel-error.js';
import type { JobsApi, JobView } from '../jobs/jobs-api.js';
import type { ActivityEntry } from '../state/store.js';
import type { VolumesApi, VolumeView } from '../volumes/volume-service.js';
import type { ConfigView, HealthView, InstallResult, KernelApi, PluginView } from './kernel-api.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const ADMIN: Principal = { id: 'admin', name: 'admin', kind: 'admin', provider: 'bootstrap-token' };

type Methods = {
  [K in keyof KernelApi as KernelApi[K] extends (...args: never[]) => unknown ? K : never]: KernelApi[K];
};
export type MethodName = keyof Methods;

export interface KernelCall {
  method: MethodName;
  args: unknown[];
}

export interface FakeKernel extends KernelApi {
  readonly calls: KernelCall[];
  /** Argument lists of every call to `method`, in order. */
  argsOf(method: MethodName): unknown[][];
}

export function pluginView(name = 'hello-plugin'): PluginView {
  return {
    name,
    description: 'Says hello',
    category: 'core',
    activeVersion: '1.0.0',
    pinnedVersion: null,
    enabled: true,
    versions: [
      {
        version: '1.0.0',
        state: 'active',
        error: null,
        installedAt: '2024-01-01T00:00:00.000Z',
        sha256: 'ab'.repeat(32),
        source: 'upload',
        active: true,
      },
    ],
    actions: [{ name: 'greet', description: 'Greets', inputSchema: { type: 'object' } }],
    routes: [{ method: 'GET', path: '/hello' }],
    docs: ['index'],
    runs: 'in-process',
    permissions: {},
  };
}

export function installResult(name = 'hello-plugin'): InstallResult {
  return {
    name,
    version: '1.0.0',
    state: 'active',
    swappedFrom: null,
    removed: [],
    permissions: {},
    plugin: pluginView(name),
  };
}

export const configView: ConfigView = { config: { greeting: 'hi', token: '********' }, schema: { type: 'object' } };

export const activityEntry: ActivityEntry = {
  id: 7,
  at: '2024-01-01T00:00:00.000Z',
  actor: 'admin',
  action: 'plugin.installed',
  subject: 'hello-plugin@1.0.0',
  plugin: 'hello-plugin',
  outcome: 'ok',
  details: {},
};

export const healthView: HealthView = {
  status: 'ok',
  version: '0.1.0',
  pluginApiVersion: '1.0.0',
  uptimeSeconds: 12,
  plugins: { installed: 0, active: 1, failed: 0, disabled: 0 },
  maintenance: false,
  safeMode: false,
  isolation: 'manifest',
};

function defaults(): Methods {
  return {
    listPlugins: async () => [pluginView()],
    getPlugin: async (name) => pluginView(name),
    install: async () => installResult(),
    uninstall: async (_name, version) => ({ removed: [version ?? '1.0.0'] }),
    pin: async (name) => pluginView(name),
    setEnabled: async (name, enabled) => ({ ...pluginView(name), enabled }),
    getConfig: async () => configView,
    setConfig: async () => configView,
    runAction: async () => ({ greeted: true }),
    listDocs: async () => ['index'],
    getDoc: async () => '# Hello\n',
    dispatchPluginRoute: async () => ({ status: 200, body: { ok: true } }),
    listActivity: async () => [activityEntry],
    recordActivity: async () => undefined,
    health: async () => healthView,
    authenticateRequest: async (_request, token) => {
      if (token === ADMIN_TOKEN) return ADMIN;
      throw new KernelError(
        'KRN_ERR_UNAUTHENTICATED',
        token === undefined ? 'this route needs credentials and none were sent' : 'the credentials were not recognised',
      );
    },
    authorize: async () => undefined,
    getMaintenance: () => ({ enabled: false, message: null, since: null, by: null }),
    listReplicas: async () => [],
    setMaintenance: async (enabled, message, actor) => ({
      enabled,
      message,
      since: enabled ? '2026-01-01T00:00:00.000Z' : null,
      by: enabled ? actor : null,
    }),
  };
}

/** `overrides` replace individual methods; every call is recorded either way. */
export function createFakeKernel(overrides: Partial<Methods> = {}): FakeKernel {
  const calls: KernelCall[] = [];
  const impl: Methods = { ...defaults(), ...overrides };
  const recorded = {} as Record<MethodName, (...args: unknown[]) => unknown>;
  for (const method of Object.keys(impl) as MethodName[]) {
    recorded[method] = (...args: unknown[]) => {
      calls.push({ method, args });
      return (impl[method] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return {
    ...(recorded as unknown as Methods),
    version: '0.1.0',
    pluginApiVersion: '1.0.0',
    metrics: new Registry(),
    jobs: fakeJobs(calls),
    volumes: fakeVolumes(calls),
    calls,
    argsOf: (method) => calls.filter((call) => call.method === method).map((call) => call.args),
  };
}

export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` } as const;

/** Job routes in the fake: every call recorded as `jobs.<method>`, answering with empty data. */
function fakeJobs(calls: KernelCall[]): JobsApi {
  const record =
    <T>(method: string, result: T) =>
    (...args: unknown[]) => {
      calls.push({ method: `jobs.${method}` as MethodName, args });
      return Promise.resolve(result);
    };
  const job = { name: 'adder', version: '1.0.0', state: 'RUNNING' } as unknown as JobView;
  return {
    deploy: record('deploy', job),
    list: record('list', [job]),
    resolve: record('resolve', job),
    get: record('get', { ...job, events: [] }),
    delete: record('delete', job),
    redeploy: record('redeploy', job),
    logs: record('logs', { text: '', offset: 0 }),
    pending: record('pending', []),
    queues: record('queues', []),
    putQueue: record('putQueue', { name: 'default', scheduler: 'fifo' }),
  };
}

/** Volume routes in the fake: every call recorded as `volumes.<method>`. */
function fakeVolumes(calls: KernelCall[]): VolumesApi {
  const record =
    <T>(method: string, result: T) =>
    (...args: unknown[]) => {
      calls.push({ method: `volumes.${method}` as MethodName, args });
      return Promise.resolve(result);
    };
  const volume: VolumeView = {
    volume: 'local:data',
    backend: 'local',
    name: 'data',
    owner: 'ada',
    usedBytes: 0,
    quotaBytes: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    shares: [],
    access: 'owner',
  };
  const file: VolumeFile = { path: 'a.txt', type: 'file', size: 2, modifiedAt: '2026-01-01T00:00:00.000Z' };
  return {
    list: record('list', [volume]),
    get: record('get', { ...volume, usedBy: [] }),
    create: record('create', volume),
    clone: record('clone', volume),
    remove: record('remove', undefined),
    setQuota: record('setQuota', volume),
    share: record('share', volume),
    files: {
      listFiles: record('listFiles', [file]),
      mkdir: record('mkdir', undefined),
      upload: record('upload', file),
      download: (...args: unknown[]) => {
        calls.push({ method: 'volumes.download' as MethodName, args });
        return Promise.resolve({ file, stream: Readable.from([Buffer.from('hi')]) });
      },
      rename: record('rename', undefined),
      deleteFile: record('deleteFile', undefined),
    },
  };
}
