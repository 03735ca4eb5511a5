import type { VolumeMount } from '../index.js';

/**
 * Where a job finds its volumes, as every first-party target tells it:
 * - `SPINDLE_MOUNTS`: JSON `{mountPath: path}` for every volume;
 * - `SPINDLE_VOLUME_<NAME>`: the path of each volume (name without its backend, upper-cased,
 *   other characters `_`).
 * `at: 'host'` gives host paths: a local process cannot have a directory mounted at an absolute
 * path without root and a mount namespace. `at: 'mount'` gives the mount paths, for containers,
 * where the volume is mounted there; a job then reads the variables the same way on every target.
 */
export function mountEnv(mounts: readonly VolumeMount[] | undefined, at: 'host' | 'mount'): Record<string, string> {
  if (!mounts || mounts.length === 0) return {};
  const where = (m: VolumeMount) => (at === 'host' ? m.hostPath : m.mountPath);
  const env: Record<string, string> = {
    SPINDLE_MOUNTS: JSON.stringify(Object.fromEntries(mounts.map((m) => [m.mountPath, where(m)]))),
  };
  for (const mount of mounts) {
    const name = mount.volume.slice(mount.volume.indexOf(':') + 1);
    env[`SPINDLE_VOLUME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = where(mount);
  }
  return env;
}
