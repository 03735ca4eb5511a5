import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

export interface KernelErrorOptions {
  /** The plugin the error is about, if any; shown in the message and in `details`. */
  plugin?: string;
  job?: string;
  /** The volume (`backend:name`) the error is about, if no plugin or job is named. */
  volume?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the catalogue's HTTP status (e.g. a plugin-chosen status). */
  status?: number;
}

/**
 * The kernel's error. `message` says what failed (and for which plugin or job); the catalogue's
 * hint, saying what to do, is appended. Serialised as `{code, message, details}`.
 */
export class KernelError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;
  /** What failed, without the subject prefix and the hint (for wrapping into another error). */
  readonly what: string;

  constructor(code: ErrorCode, what: string, options: KernelErrorOptions = {}) {
    const spec = ERROR_CATALOGUE[code];
    const subject = options.plugin
      ? `plugin ${options.plugin}: `
      : options.job
        ? `job ${options.job}: `
        : options.volume
          ? `volume ${options.volume}: `
          : '';
    super(`${subject}${what}. ${spec.hint}`, { cause: options.cause });
    this.name = 'KernelError';
    this.code = code;
    this.what = what;
    this.status = options.status ?? spec.status;
    this.details = {
      ...(options.plugin ? { plugin: options.plugin } : {}),
      ...(options.job ? { job: options.job } : {}),
      ...(options.volume ? { volume: options.volume } : {}),
      ...options.details,
    };
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isKernelError(value: unknown): value is KernelError {
  return value instanceof KernelError;
}

/** A short, single-line description of any thrown value, for logs and `failed` states. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
