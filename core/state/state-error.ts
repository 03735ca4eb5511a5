import { describeError, KernelError } from '../errors/kernel-error.js';

/** Any failure of a state operation as KRN_ERR_STATE naming the operation (a KernelError passes through). */
export function stateError(operation: string, error: unknown): KernelError {
  if (error instanceof KernelError) return error;
  return new KernelError('KRN_ERR_STATE', `state ${operation} failed: ${describeError(error)}`, {
    details: { operation },
    cause: error,
  });
}

/** A synchronous (better-sqlite3) operation as a promise; its failure rejects with `stateError`. */
export function syncOp<T>(operation: string, run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(stateError(operation, error));
  }
}

/** The refusal of a database whose schema was written by a newer kernel. */
export function newerSchemaError(databaseVersion: number, knownVersion: number): KernelError {
  return new KernelError(
    'KRN_ERR_STATE',
    `the state database is at schema version ${databaseVersion} but this kernel knows only up to ${knownVersion}; ` +
      'it was written by a newer kernel, so upgrade the kernel to open it',
    { details: { operation: 'migrate', databaseVersion, knownVersion } },
  );
}
