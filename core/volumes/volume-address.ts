import { KernelError } from '../errors/kernel-error.js';

/** A volume as the API and job manifests address it: `backend:name`, or `name` alone when one backend is active. */
export interface VolumeAddress {
  backend: string;
  name: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const BACKEND = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const formatVolume = (address: VolumeAddress): string => `${address.backend}:${address.name}`;

/** Parse `backend:name` or `name`; `active` are the storage backends active now (for the short form). */
export function parseVolumeAddress(text: string, active: readonly string[]): VolumeAddress {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(colon + 1);
  if (!NAME.test(name)) {
    throw new KernelError(
      'KRN_ERR_BAD_REQUEST',
      `"${text}" is not a volume name: use letters, digits, '_', '.' and '-' (at most 63), starting with a letter or digit, optionally after "backend:"`,
    );
  }
  if (colon >= 0) {
    const backend = text.slice(0, colon);
    if (!BACKEND.test(backend))
      throw new KernelError('KRN_ERR_BAD_REQUEST', `"${backend}" in "${text}" is not a storage backend name`);
    return { backend, name };
  }
  if (active.length === 1) return { backend: active[0]!, name };
  throw new KernelError(
    'KRN_ERR_STORAGE_NOT_FOUND',
    active.length === 0
      ? `no storage backend is active, so volume "${text}" cannot be found`
      : `several storage backends are active (${active.join(', ')}); address the volume as backend:${text}`,
  );
}
