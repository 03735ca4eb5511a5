import { SDK_BRAND } from './version.js';

/**
 * An error a plugin throws on purpose, with a message meant for the caller. Thrown from a route,
 * action or hook, the kernel passes `message`, `status` and `details` on (`KRN_ERR_PLUGIN_REJECTED`).
 * Any other error is reported with the plugin's name: from a route or action as a 502
 * (`KRN_ERR_PLUGIN_FAILED`), from a hook as a 503 (`KRN_ERR_HOOK_FAILED`).
 */
export class PluginError extends Error {
  readonly $$brand = SDK_BRAND;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(message: string, options: { status?: number; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PluginError';
    this.status = options.status ?? 400;
    this.details = options.details;
  }
}

/** A refusal: input that is not acceptable (400 unless another status is given). */
export class RejectedError extends PluginError {
  constructor(message: string, options: { status?: number; details?: Record<string, unknown> } = {}) {
    super(message, options);
    this.name = 'RejectedError';
  }
}

/** True for a `PluginError` from any copy of the SDK. */
export function isPluginError(value: unknown): value is PluginError {
  const v = value as Partial<PluginError> | null;
  return !!v && v.$$brand === SDK_BRAND && typeof v.message === 'string' && typeof v.status === 'number';
}

/** Why a storage backend refused a volume or file operation; the kernel maps each to a `KRN_ERR_VOLUME_*` code. */
export type VolumeErrorKind =
  | 'not-found'
  | 'exists'
  | 'quota-exceeded'
  | 'invalid-path'
  | 'file-not-found'
  | 'file-exists'
  | 'not-empty';

const VOLUME_STATUS: Record<VolumeErrorKind, number> = {
  'not-found': 404,
  exists: 409,
  'quota-exceeded': 507,
  'invalid-path': 400,
  'file-not-found': 404,
  'file-exists': 409,
  'not-empty': 409,
};

/** A storage backend's refusal, e.g. `new VolumeError('quota-exceeded', 'upload of 2 MiB passes the 1 MiB quota of data')`. */
export class VolumeError extends PluginError {
  readonly volumeError: VolumeErrorKind;

  constructor(kind: VolumeErrorKind, message: string, options: { details?: Record<string, unknown> } = {}) {
    super(message, { status: VOLUME_STATUS[kind], details: options.details });
    this.name = 'VolumeError';
    this.volumeError = kind;
  }
}

/**
 * The kind of a `VolumeError` from any copy of the SDK, or of an error it caused (the kernel wraps
 * what a provider throws in its own error, keeping the original as `cause`); undefined otherwise.
 */
export function volumeErrorKind(value: unknown): VolumeErrorKind | undefined {
  if (!isPluginError(value)) {
    const cause = (value as { cause?: unknown } | null)?.cause;
    return cause !== undefined && isPluginError(cause) ? volumeErrorKind(cause) : undefined;
  }
  const kind = (value as Partial<VolumeError>).volumeError;
  return kind !== undefined && kind in VOLUME_STATUS ? kind : undefined;
}
