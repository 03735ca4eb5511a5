/** `-e key.path=value` overrides of a job manifest, applied after `extends` and before validation. */
import { parseDocument } from 'yaml';
import { jobManifestError } from './job-manifest.js';

/** Maps whose values must be strings: a value set under them is kept exactly as typed. */
const STRING_MAPS = new Set(['env', 'labels', 'secretEnv']);
const INDEX = /^(0|[1-9]\d*)$/;

export interface ManifestOverride {
  /** `volumes.0.name` → `['volumes', '0', 'name']`. */
  path: string[];
  value: unknown;
}

/**
 * Parses `key.path=value`. The value is read as YAML (`replicas=3` is a number, `kind=batch` a
 * string, `labels={a: b}` a map), except under env, labels and secretEnv, where it stays the
 * string typed: YAML would turn `PIN=0123` into 123 and `V=1.10` into 1.1.
 * Error messages name the key only: the value may be a secret.
 */
export function parseOverride(override: string): ManifestOverride {
  const eq = override.indexOf('=');
  if (eq <= 0) throw overrideError(`override ${JSON.stringify(override)} is not key.path=value`, override);
  const key = override.slice(0, eq);
  const raw = override.slice(eq + 1);
  const path = key.split('.');
  if (path.some((segment) => segment === ''))
    throw overrideError(`override ${JSON.stringify(key)} has an empty path segment`, key);
  if (path[0] === 'extends') {
    throw overrideError('override "extends" is not allowed: extends is resolved before overrides apply', key);
  }
  if (path.length > 1 && STRING_MAPS.has(path[0]!)) return { path, value: raw };
  const document = parseDocument(raw);
  if (document.errors.length > 0) {
    const reason = document.errors[0]!.message.split('\n')[0];
    throw overrideError(`override ${JSON.stringify(key)}: the value is not valid YAML (${reason})`, key);
  }
  return { path, value: document.toJS() as unknown };
}

/**
 * Returns a copy of `manifest` with each override applied in order (a later one wins). Missing
 * objects on the path are created (a list when the next segment is an index); a list index may be
 * at most the list's length, which appends. The result is not validated: the schema decides.
 */
export function applyOverrides(manifest: object, overrides: readonly string[]): Record<string, unknown> {
  const result = structuredClone(manifest) as Record<string, unknown>;
  for (const override of overrides) {
    const { path, value } = parseOverride(override);
    let container: object = result;
    for (let i = 0; i < path.length - 1; i++) {
      let child = getChild(container, path, i);
      if (child === undefined || child === null) {
        child = INDEX.test(path[i + 1]!) ? [] : {};
        setChild(container, path, i, child);
      } else if (typeof child !== 'object') {
        const at = path.slice(0, i + 1).join('.');
        throw overrideError(
          `override ${JSON.stringify(path.join('.'))}: ${at} is a ${typeof child}, not a map or list`,
          path.join('.'),
        );
      }
      container = child as object;
    }
    setChild(container, path, path.length - 1, value);
  }
  return result;
}

function getChild(container: object, path: string[], i: number): unknown {
  const segment = path[i]!;
  if (Array.isArray(container)) return container[arrayIndex(container, path, i)];
  // Own properties only: `__proto__.x=1` must create a key, not reach Object.prototype.
  return Object.hasOwn(container, segment) ? (container as Record<string, unknown>)[segment] : undefined;
}

function setChild(container: object, path: string[], i: number, value: unknown): void {
  const key = Array.isArray(container) ? String(arrayIndex(container, path, i)) : path[i]!;
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

function arrayIndex(list: unknown[], path: string[], i: number): number {
  const segment = path[i]!;
  const at = path.slice(0, i).join('.');
  const key = path.join('.');
  if (!INDEX.test(segment))
    throw overrideError(
      `override ${JSON.stringify(key)}: ${at} is a list, so ${JSON.stringify(segment)} must be an index`,
      key,
    );
  const index = Number(segment);
  if (index > list.length) {
    const entries = `${list.length} ${list.length === 1 ? 'entry' : 'entries'}`;
    throw overrideError(
      `override ${JSON.stringify(key)}: index ${index} is past the end of ${at}, which has ${entries} (index ${list.length} appends)`,
      key,
    );
  }
  return index;
}

function overrideError(what: string, override: string): Error {
  return jobManifestError('KRN_ERR_JOB_MANIFEST_INVALID', what, { details: { override } });
}
