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
