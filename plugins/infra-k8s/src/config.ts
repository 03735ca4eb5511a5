/** The operator config of infra-k8s (plugin.json `configSchema` documents each field). */
export interface K8sConfig {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  targetName: string;
  image: ImageConfig;
  proxyMode: 'service' | 'port-forward';
  healthTimeoutMs: number;
  pollIntervalMs: number;
  maxRestarts: number;
  containerPort: number;
}

export interface ImageConfig {
  registry?: string;
  buildImages: boolean;
  dockerPath: string;
  buildTimeoutMs: number;
}

export const DEFAULT_CONFIG: Readonly<Omit<K8sConfig, 'image'>> & { image: Readonly<ImageConfig> } = Object.freeze({
  namespace: 'spindle',
  targetName: 'k8s',
  image: Object.freeze({ buildImages: true, dockerPath: 'docker', buildTimeoutMs: 600_000 }),
  proxyMode: 'service',
  healthTimeoutMs: 300_000,
  pollIntervalMs: 2_000,
  maxRestarts: 3,
  containerPort: 7000,
});

/** The schema fills defaults in a kernel; this keeps the target usable when built by hand (tests). */
export function withDefaults(
  config: Partial<Omit<K8sConfig, 'image'>> & { image?: Partial<ImageConfig> } = {},
): K8sConfig {
  return { ...DEFAULT_CONFIG, ...config, image: { ...DEFAULT_CONFIG.image, ...(config.image ?? {}) } };
}
