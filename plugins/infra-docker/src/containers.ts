import { LABELS } from './container-spec.js';
import type { DockerCli } from './docker-cli.js';

/** What `docker inspect` says of a container, the parts used here. */
export interface Inspected {
  Name: string;
  Config: { Labels: Record<string, string> | null; ExposedPorts?: Record<string, unknown> | null };
  State: { Running: boolean; ExitCode: number };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

export function inspect(cli: DockerCli, ids: string[]): Promise<Inspected[]> {
  return cli.json<Inspected[]>(['inspect', ...ids]);
}

/** Spindle's containers (labelled `spindle.managed=true`) matching `filters`, inspected. */
export async function inspectManaged(cli: DockerCli, filters: string[]): Promise<Inspected[]> {
  const ids = (await cli.run(['ps', '--all', '--quiet', '--filter', `label=${LABELS.managed}=true`, ...filters]))
    .split('\n')
    .filter(Boolean);
  return ids.length === 0 ? [] : inspect(cli, ids);
}

/** The port a service listens on: the image's first exposed TCP port, else `fallback`. */
export async function exposedPort(cli: DockerCli, tag: string, fallback: number): Promise<number> {
  const exposed = await cli.json<Record<string, unknown> | null>([
    'image',
    'inspect',
    '--format',
    '{{json .Config.ExposedPorts}}',
    tag,
  ]);
  const first = Object.keys(exposed ?? {}).find((key) => key.endsWith('/tcp'));
  return first ? Number.parseInt(first, 10) : fallback;
}

/** The URL the kernel reaches the container's published TCP port at, on `publishHost`. */
export function addressOf(container: Inspected, publishHost: string): string | undefined {
  const bindings = Object.entries(container.NetworkSettings.Ports ?? {}).find(
    ([key, value]) => key.endsWith('/tcp') && value && value.length > 0,
  )?.[1];
  const binding = bindings?.find((b) => b.HostIp === publishHost) ?? bindings?.[0];
  return binding ? `http://${publishHost}:${binding.HostPort}` : undefined;
}

export function containerPortOf(container: Inspected): number | undefined {
  const key = Object.keys(container.NetworkSettings.Ports ?? {}).find((k) => k.endsWith('/tcp'));
  return key ? Number.parseInt(key, 10) : undefined;
}
