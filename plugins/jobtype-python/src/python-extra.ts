import { RejectedError } from 'spindle/plugin-sdk';

/** `jobtypeExtra` of a python3 job, checked. */
export interface PythonExtra {
  /** Relative path of the file holding the job class, e.g. `adder.py` or `pkg/model.py`. */
  entrypointPath: string;
  /** The class the wrapper instantiates, e.g. `Adder`. */
  entrypointClass: string;
  /** Relative path of a pip requirements file; `requirements.txt` is used when present and this is unset. */
  requirementsPath?: string;
}

export function isPythonJobtype(jobtype: unknown): boolean {
  return typeof jobtype === 'string' && jobtype.startsWith('python3:');
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** Why `value` is not a safe relative file path inside the job's directory, or undefined if it is. */
function relativePathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (value.includes('\\')) return 'must use / as the separator, not \\';
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value)) return 'must be relative to the job directory';
  if (value.split('/').some((segment) => segment === '..')) return "must not contain '..' segments";
  if (value.split('/').some((segment) => segment === '' || segment === '.'))
    return "must not contain empty or '.' segments";
  return undefined;
}

function reject(field: string, value: unknown, problem: string): never {
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  throw new RejectedError(`jobtypeExtra.${field}: ${problem} (got ${shown})`, {
    details: { field: `jobtypeExtra.${field}` },
  });
}

/** Checks a python3 job's `jobtypeExtra`; throws a RejectedError naming the field at fault. */
export function checkPythonExtra(extra: unknown): PythonExtra {
  if (extra === undefined || extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
    throw new RejectedError(
      'jobtypeExtra: a python3 job needs jobtypeExtra.entrypointPath (e.g. adder.py) and jobtypeExtra.entrypointClass (e.g. Adder)',
      { details: { field: 'jobtypeExtra' } },
    );
  }
  const { entrypointPath, entrypointClass, requirementsPath } = extra as Record<string, unknown>;
  const pathProblem = relativePathProblem(entrypointPath);
  if (pathProblem) reject('entrypointPath', entrypointPath, pathProblem);
  if (!(entrypointPath as string).endsWith('.py')) reject('entrypointPath', entrypointPath, 'must name a .py file');
  if (typeof entrypointClass !== 'string' || !IDENTIFIER.test(entrypointClass)) {
    reject(
      'entrypointClass',
      entrypointClass,
      'must be a Python class name (letters, digits and _, not starting with a digit)',
    );
  }
  if (requirementsPath !== undefined) {
    const problem = relativePathProblem(requirementsPath);
    if (problem) reject('requirementsPath', requirementsPath, problem);
  }
  return {
    entrypointPath: entrypointPath as string,
    entrypointClass,
    ...(requirementsPath === undefined ? {} : { requirementsPath: requirementsPath as string }),
  };
}
