import { KubeConfig } from '@kubernetes/client-node';
import type { K8sConfig } from './config.js';

/**
 * The kubeconfig the target uses: the file `kubeconfig` names; else the pod's service account
 * when the kernel runs in a cluster; else client-node's default loading (KUBECONFIG, then
 * ~/.kube/config). `context` picks a context of the file.
 */
export function loadKubeConfig(
  config: Pick<K8sConfig, 'kubeconfig' | 'context'>,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (config.context) {
    if (!kc.getContextObject(config.context)) {
      throw new Error(
        `the kubeconfig has no context ${config.context} (it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(config.context);
  }
  if (!kc.getCurrentCluster())
    throw new Error(`the kubeconfig names no cluster for context ${kc.getCurrentContext() || '(none)'}`);
  return kc;
}

/** `https://host:6443 (context kind-dev)`, for messages. */
export function describeServer(kc: KubeConfig): string {
  const context = kc.getCurrentContext();
  return `${kc.getCurrentCluster()?.server ?? 'no server'}${context ? ` (context ${context})` : ''}`;
}
