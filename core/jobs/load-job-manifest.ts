/** Reads a job directory's manifest: `extends` chain, `-e` overrides, secret env, validation. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ENV_NAME, type JobManifest, jobManifestError, RELATIVE_PATH, validateJobManifest } from './job-manifest.js';
import { applyOverrides } from './manifest-overrides.js';

export interface LoadJobManifestOptions {
  /** `key.path=value` overrides, applied in order after `extends` is merged. */
  overrides?: readonly string[];
  /** The manifest file, relative to the job directory; default `job.yaml`, else `job.yml`. */
  file?: string;
}

/** A loaded manifest never carries secrets, nor the `extends` it was built from. */
export type LoadedJobManifest = Omit<JobManifest, 'secretEnv' | 'secretEnvFile' | 'extends'>;

export interface LoadedJob {
  manifest: LoadedJobManifest;
  /** `secretEnvFile` merged with `secretEnv` (the map wins). Never log or print the values. */
  secretEnv: Record<string, string>;
  /** Absolute paths of the files read, in the order read: the manifest, its bases, the secret file. */
  sources: string[];
}

const MANIFEST_NAMES = ['job.yaml', 'job.yml'];
// Cycles are caught by path; the cap also stops chains that symlinks make look new.
const MAX_EXTENDS_DEPTH = 16;

type YamlMap = Record<string, unknown>;

/**
 * Loads `<dir>/job.yaml` (or `job.yml`, or `options.file`). A manifest may name a base with
 * `extends` (relative to itself); bases are deep-merged under it: maps merge key by key, lists and
 * scalars of the overlay win. Then overrides apply, the result is validated (defaults applied),
 * and the secret env (`secretEnvFile`, relative to the job directory, under `secretEnv`) is
 * returned apart. Throws KRN_ERR_JOB_MANIFEST_NOT_FOUND for a missing file and
 * KRN_ERR_JOB_MANIFEST_INVALID for the rest; messages name files as `dir` was given.
 */
export async function loadJobManifest(dir: string, options: LoadJobManifestOptions = {}): Promise<LoadedJob> {
  const loader = new Loader(dir);
  const first = options.file ? path.resolve(loader.jobDir, options.file) : await loader.findManifest();
  const merged = await loader.readChain(first, []);
  const overridden = applyOverrides(merged, options.overrides ?? []);
  const label = loader.sources.length > 1 ? `${loader.show(first)} (with its bases)` : loader.show(first);
  const manifest: Partial<JobManifest> = validateJobManifest(overridden, label);
  const fromFile = manifest.secretEnvFile ? await loader.readSecretFile(manifest.secretEnvFile) : {};
  const secretEnv = { ...fromFile, ...manifest.secretEnv };
  delete manifest.secretEnv;
  delete manifest.secretEnvFile;
  return { manifest: manifest as LoadedJobManifest, secretEnv, sources: loader.sources };
}

class Loader {
  readonly jobDir: string;
  readonly sources: string[] = [];

  constructor(private readonly dir: string) {
    this.jobDir = path.resolve(dir);
  }

  /** A file named the way the caller named the job directory, e.g. `examples/adder/job.yaml`. */
  show(file: string): string {
    return path.join(this.dir, path.relative(this.jobDir, file));
  }

  async findManifest(): Promise<string> {
    const info = await stat(this.jobDir).catch(() => undefined);
    if (!info?.isDirectory()) throw notFound(`job directory ${this.dir} does not exist`, this.dir);
    for (const name of MANIFEST_NAMES) {
      const file = path.join(this.jobDir, name);
      if ((await stat(file).catch(() => undefined))?.isFile()) return file;
    }
    throw notFound(`no ${MANIFEST_NAMES.join(' or ')} in ${this.dir}`, this.dir);
  }

  /** Reads `file` and the bases it extends, merged; `chain` holds the files that led here. */
  async readChain(file: string, chain: string[]): Promise<YamlMap> {
    if (chain.includes(file)) {
      const cycle = [...chain.slice(chain.indexOf(file)), file].map((entry) => this.show(entry));
      throw invalid(`extends cycle: ${cycle.join(' → ')}`, { cycle });
    }
    if (chain.length >= MAX_EXTENDS_DEPTH) {
      throw invalid(`extends chain from ${this.show(chain[0]!)} is deeper than ${MAX_EXTENDS_DEPTH} files`, {
        file: this.show(file),
      });
    }
    const namedBy = chain.length > 0 ? ` (extended by ${this.show(chain[chain.length - 1]!)})` : '';
    const data = await this.readYaml(file, `manifest ${this.show(file)}${namedBy}`);
    if (!isMap(data))
      throw invalid(`${this.show(file)} must be a YAML map of manifest fields, not ${kindOf(data)}`, {
        file: this.show(file),
      });
    if (!Object.hasOwn(data, 'extends')) return data;
    const { extends: base, ...overlay } = data;
    if (typeof base !== 'string' || base === '' || !RELATIVE_PATH.test(base)) {
      throw invalid(`${this.show(file)}: /extends must be a relative path`, {
        file: this.show(file),
        errors: [{ path: '/extends', message: 'must be a relative path' }],
      });
    }
    const parent = await this.readChain(path.resolve(path.dirname(file), base), [...chain, file]);
    return deepMerge(parent, overlay);
  }

  /** A YAML map (`.yaml`, `.yml`) or KEY=VALUE lines; values must be strings, and never appear in errors. */
  async readSecretFile(relative: string): Promise<Record<string, string>> {
    const file = path.resolve(this.jobDir, relative);
    const shown = this.show(file);
    if (/\.ya?ml$/i.test(file)) {
      const data = (await this.readYaml(file, `secretEnvFile ${shown}`)) ?? {};
      if (!isMap(data))
        throw invalid(`secretEnvFile ${shown} must be a YAML map of NAME: value, not ${kindOf(data)}`, { file: shown });
      for (const [key, value] of Object.entries(data)) {
        if (!ENV_NAME.test(key))
          throw invalid(`secretEnvFile ${shown}: ${JSON.stringify(key)} is not an environment variable name`, {
            file: shown,
          });
        if (typeof value !== 'string')
          throw invalid(`secretEnvFile ${shown}: ${key} must be a string (quote the value)`, { file: shown });
      }
      return data as Record<string, string>;
    }
    return parseEnvLines(await this.readText(file, `secretEnvFile ${shown}`), shown);
  }

  private async readText(file: string, what: string): Promise<string> {
    try {
      const text = await readFile(file, 'utf8');
      this.sources.push(file);
      return text;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? String(error)})`;
      throw notFound(`${what} ${reason}`, this.show(file));
    }
  }

  /** Parses one YAML document. Errors keep the first line of yaml's message: the source excerpt below it may show a secret. */
  private async readYaml(file: string, what: string): Promise<unknown> {
    const document = parseDocument(await this.readText(file, what));
    const shown = this.show(file);
    const error = document.errors[0];
    if (error) {
      const { line, col: column } = error.linePos?.[0] ?? { line: 0, col: 0 };
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw invalid(`cannot parse ${shown}: line ${line}, column ${column}: ${reason}`, { file: shown, line, column });
    }
    try {
      return document.toJS();
    } catch (cause) {
      throw invalid(`cannot read ${shown}: ${(cause as Error).message}`, { file: shown });
    }
  }
}

/** `.env` lines: `KEY=VALUE`, optional `export `, `#` comments, '…' literal, "…" with \n \t \" \\ escapes. */
export function parseEnvLines(text: string, shown: string): Record<string, string> {
  const result: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `secretEnvFile ${shown} line ${index + 1}`;
    const match = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!match) throw invalid(`${at}: expected KEY=VALUE`, { file: shown, line: index + 1 });
    const [, key, value] = match as unknown as [string, string, string];
    if (!ENV_NAME.test(key))
      throw invalid(`${at}: ${JSON.stringify(key)} is not an environment variable name`, {
        file: shown,
        line: index + 1,
      });
    const unquoted = unquote(value);
    if (unquoted === undefined)
      throw invalid(`${at}: ${key} has an unterminated quote`, { file: shown, line: index + 1 });
    Object.defineProperty(result, key, { value: unquoted, enumerable: true, writable: true, configurable: true });
  });
  return result;
}

function unquote(value: string): string | undefined {
  const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
  if (value.startsWith('"')) {
    const match = /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(value);
    return match ? match[1]!.replace(/\\(.)/g, (all, char: string) => ESCAPES[char] ?? all) : undefined;
  }
  if (value.startsWith("'")) {
    const match = /^'([^']*)'\s*(?:#.*)?$/.exec(value);
    return match ? match[1] : undefined;
  }
  // Unquoted: ` #` starts a comment, a `#` inside a word (pa#ss) does not.
  return value.replace(/\s+#.*$/, '').trim();
}

/** Maps merge key by key; anything else from `overlay` replaces what `base` had. */
export function deepMerge(base: YamlMap, overlay: YamlMap): YamlMap {
  const result: YamlMap = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const prior = Object.hasOwn(result, key) ? result[key] : undefined;
    const merged = isMap(prior) && isMap(value) ? deepMerge(prior, value) : value;
    // defineProperty: a plain assignment to a `__proto__` key would replace the prototype.
    Object.defineProperty(result, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

function invalid(what: string, details: Record<string, unknown>): Error {
  return jobManifestError('KRN_ERR_JOB_MANIFEST_INVALID', what, { details });
}

function notFound(what: string, file: string): Error {
  return jobManifestError('KRN_ERR_JOB_MANIFEST_NOT_FOUND', what, { details: { file } });
}
