/**
 * infra-k8s: the infrastructure target `k8s` (name from config). Every job runs as Kubernetes
 * objects in one namespace, made through the API server with @kubernetes/client-node. See
 * docs/usage.md for operators and k8s-target.ts for the behaviour.
 */
import { definePlugin, type PluginContext } from 'spindle/plugin-sdk';
import { makeSleep } from 'spindle/plugin-sdk/targets';
import { type K8sConfig, withDefaults } from './config.js';
import { K8sTarget } from './k8s-target.js';
import { KubeClient } from './kube-client.js';
import { describeKubeError } from './kube-errors.js';
import { kubePodForwarder } from './kube-pod-forwarder.js';
import { describeServer, loadKubeConfig } from './load-kube-config.js';

/** Below the kernel's activation limit (10 s), so the error names the server instead of a timeout. */
const REACH_TIMEOUT_MS = 8_000;

// Keyed by ctx: the same module may serve several instances (a swap, or several test kernels).
const targets = new WeakMap<PluginContext<K8sConfig>, K8sTarget>();

export default definePlugin<K8sConfig>({
  async activate(ctx) {
    const config = withDefaults(ctx.config);
    let kubeConfig;
    try {
      kubeConfig = loadKubeConfig(config);
    } catch (error) {
      throw new Error(
        `cannot load the kubeconfig (${config.kubeconfig ?? 'in-cluster or default loading'}): ${(error as Error).message}`,
      );
    }
    const client = new KubeClient(kubeConfig, config.namespace);
    const server = describeServer(kubeConfig);
    // Fail activation, naming the API server, when it cannot be reached or refuses us.
    const answered = new AbortController();
    const timeout = makeSleep(ctx)(REACH_TIMEOUT_MS, answered.signal).then(() =>
      Promise.reject(new Error(`no answer within ${REACH_TIMEOUT_MS} ms`)),
    );
    const found = await Promise.race([client.ensureNamespace(), timeout])
      .catch((error: unknown) => {
        throw new Error(
          `the Kubernetes API server ${server} is not reachable or refused namespace ${config.namespace}: ${describeKubeError(error)}`,
        );
      })
      .finally(() => answered.abort());
    if (found === 'created') ctx.logger.info({ namespace: config.namespace, server }, 'created the namespace');
    const forwarder = config.proxyMode === 'port-forward' ? kubePodForwarder(kubeConfig, config.namespace) : undefined;
    const target = new K8sTarget(ctx, client, config, forwarder);
    ctx.infrastructure.registerTarget(target.config.targetName, target);
    targets.set(ctx, target);
  },
  async deactivate(ctx) {
    await targets.get(ctx)?.shutdown();
    targets.delete(ctx);
  },
});
