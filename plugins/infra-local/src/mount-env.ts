import type { VolumeMount } from 'spindle/plugin-sdk';

/**
 * A local process cannot have a directory mounted at an absolute path without root and a mount
 * namespace, so the job finds its volumes through the environment instead:
 * - `SPINDLE_MOUNTS`: JSON `{mountPath: hostPath}` for every volume;
 * - `SPINDLE_VOLUME_<NAME>`: the host path of each volume (name upper-cased, other characters `_`).
 * Read-only is not enforced here (the process runs as the kernel's user); container targets do.
 */
export function mountEnv(mounts: readonly VolumeMount[] | undefined): Record<string, string> {
  if (!mounts || mounts.length === 0) return {};
  const env: Record<string, string> = { SPINDLE_MOUNTS: JSON.stringify(Object.fromEntries(mounts.map((m) => [m.mountPath, m.hostPath]))) };
  for (const mount of mounts) {
    const name = mount.volume.slice(mount.volume.indexOf(':') + 1);
    env[`SPINDLE_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = mount.hostPath;
  }
  return env;
}
