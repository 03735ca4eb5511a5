import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAssignments, parseScalar, readConfigValues } from './config-values.js';

describe('parseScalar', () => {
  it('reads YAML scalars', () => {
    expect(parseScalar('3')).toBe(3);
    expect(parseScalar('1.5')).toBe(1.5);
    expect(parseScalar('true')).toBe(true);
    expect(parseScalar('null')).toBeNull();
    expect(parseScalar('hello world')).toBe('hello world');
    expect(parseScalar('"3"')).toBe('3');
    expect(parseScalar('[1, two]')).toEqual([1, 'two']);
    expect(parseScalar('{a: 1}')).toEqual({ a: 1 });
  });

  it('keeps empty and mapping-looking text as strings', () => {
    expect(parseScalar('')).toBe('');
    expect(parseScalar('http://x:80/a')).toBe('http://x:80/a');
    expect(parseScalar('a: b')).toBe('a: b');
  });
});

describe('parseAssignments', () => {
  it('nests dotted keys and keeps values after the first =', () => {
    expect(parseAssignments(['n=3', 'a.b=x', 'a.c=false', 'q=k=v'])).toEqual({
      n: 3,
      a: { b: 'x', c: false },
      q: 'k=v',
    });
  });

  it('applies on top of a base without changing it', () => {
    const base = { a: { b: 1, keep: true } };
    expect(parseAssignments(['a.b=2'], base)).toEqual({ a: { b: 2, keep: true } });
    expect(base.a.b).toBe(1);
  });

  it('refuses malformed pairs and prototype keys', () => {
    expect(() => parseAssignments(['novalue'])).toThrow(/expected key=value/);
    expect(() => parseAssignments(['=x'])).toThrow(/expected key=value/);
    expect(() => parseAssignments(['a..b=1'])).toThrow(/invalid config key/);
    expect(() => parseAssignments(['__proto__.x=1'])).toThrow(/invalid config key/);
  });
});

describe('readConfigValues', () => {
  it('reads JSON and YAML files and refuses non-objects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spindle-cfg-'));
    try {
      writeFileSync(join(dir, 'a.json'), '{"x": 1}');
      writeFileSync(join(dir, 'b.yaml'), 'x: 2\ny:\n  z: three\n');
      writeFileSync(join(dir, 'c.yaml'), '- 1\n');
      expect(readConfigValues(join(dir, 'a.json'))).toEqual({ x: 1 });
      expect(readConfigValues(join(dir, 'b.yaml'))).toEqual({ x: 2, y: { z: 'three' } });
      expect(() => readConfigValues(join(dir, 'c.yaml'))).toThrow(/must hold an object/);
      expect(() => readConfigValues(join(dir, 'missing.json'))).toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
