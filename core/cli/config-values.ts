/** `spindle plugin config set` input: `key=value` pairs (dotted keys nest) and config files. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CliError } from './io.js';

/**
 * A value as YAML reads it (`3` → number, `true` → boolean, `null`, `[1, 2]`), except that an
 * empty value is the empty string and text YAML would turn into a mapping stays text.
 */
export function parseScalar(text: string): unknown {
  if (text === '') return '';
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return text;
  }
  const flow = /^\s*[[{]/.test(text);
  if (value !== null && typeof value === 'object' && !flow) return text;
  return value;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

export function setPath(target: Record<string, unknown>, dottedKey: string, value: unknown): void {
  const keys = dottedKey.split('.');
  if (keys.some((key) => key === '' || FORBIDDEN_KEYS.has(key))) {
    throw new CliError(`invalid config key ${JSON.stringify(dottedKey)}`);
  }
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** `['a.b=1', 'name=x']` → `{a: {b: 1}, name: 'x'}`, applied on top of `base`. */
export function parseAssignments(pairs: string[], base: Record<string, unknown> = {}): Record<string, unknown> {
  const result = structuredClone(base);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value, got ${JSON.stringify(pair)}`);
    setPath(result, pair.slice(0, eq).trim(), parseScalar(pair.slice(eq + 1)));
  }
  return result;
}

/** A config object from a JSON or YAML file (JSON is YAML, so one parser reads both). */
export function readConfigValues(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new CliError(`${file} is neither valid JSON nor YAML: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`${file} must hold an object (a mapping of config keys)`);
  }
  return value as Record<string, unknown>;
}
