import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeServer, loadKubeConfig } from './load-kube-config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-k8s-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = path.join(dir, 'config');
writeFileSync(
  file,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- {name: dev, cluster: {server: "https://dev.example:6443"}}',
    '- {name: prod, cluster: {server: "https://prod.example:6443"}}',
    'users:',
    '- {name: me, user: {token: abc}}',
    'contexts:',
    '- {name: dev, context: {cluster: dev, user: me}}',
    '- {name: prod, context: {cluster: prod, user: me}}',
    'current-context: dev',
    '',
  ].join('\n'),
);

describe('loadKubeConfig', () => {
  it('reads the file it is given, in its current context or the one asked for', () => {
    expect(describeServer(loadKubeConfig({ kubeconfig: file }))).toBe('https://dev.example:6443 (context dev)');
    expect(describeServer(loadKubeConfig({ kubeconfig: file, context: 'prod' }))).toBe(
      'https://prod.example:6443 (context prod)',
    );
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'staging' })).toThrow(
      'the kubeconfig has no context staging (it has: dev, prod)',
    );
  });

  it("uses the pod's service account when the kernel runs in a cluster", () => {
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      expect(describeServer(loadKubeConfig({}))).toBe('https://10.96.0.1:443 (context inClusterContext)');
    } finally {
      for (const [key, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
