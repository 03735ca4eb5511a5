import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { afterEach, describe, expect, it } from 'vitest';
import { bundlePlugin } from './bundle-plugin.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-bundle-'));
  dirs.push(dir);
  return dir;
}

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

const MANIFEST = {
  name: 'hello-plugin',
  version: '1.2.3',
  category: 'core',
  main: 'dist/index.cjs',
  engines: { spindle: '^1.0.0' },
};

function writePlugin(root: string): void {
  write(root, 'plugin.json', JSON.stringify(MANIFEST));
  write(root, 'src/greeting.ts', 'export function greeting(name: string): string { return `hello ${name}`; }\n');
  write(
    root,
    'src/index.ts',
    [
      "import { definePlugin } from 'spindle/plugin-sdk';",
      "import { greeting } from './greeting.js';",
      'export default definePlugin({',
      '  async activate() { return void greeting("x"); },',
      '});',
      'export const hello = greeting;',
    ].join('\n'),
  );
  write(root, 'src/index.test.ts', 'throw new Error("never bundled");\n');
  write(root, 'assets/Dockerfile.tpl', 'FROM node:20\n');
  write(root, 'assets/web/app.js', 'console.log(1);\n');
  write(root, 'assets/web/app.js.map', '{}\n');
  write(root, 'assets/tmp/scratch.txt', 'scratch\n');
  write(root, 'assets/node_modules/dep/index.js', 'module.exports = 1;\n');
  write(root, 'docs/usage.md', '# Usage\n');
  write(root, 'docs/notes.txt', 'not a page\n');
  write(root, 'README.md', '# hello\n');
  write(root, '.spindleignore', '# local junk\n*.map\ntmp/\n');
}

describe('bundlePlugin', () => {
  it('builds the bundle and writes a ZIP with a verified files map', async () => {
    const root = tempDir();
    writePlugin(root);
    const result = await bundlePlugin(root);

    expect(result.zipPath).toBe(join(root, 'dist', 'hello-plugin-1.2.3.zip'));
    const zip = new AdmZip(result.zipPath);
    const names = zip
      .getEntries()
      .map((e) => e.entryName)
      .sort();
    expect(names).toEqual([
      'README.md',
      'assets/Dockerfile.tpl',
      'assets/web/app.js',
      'dist/index.cjs',
      'docs/usage.md',
      'plugin.json',
    ]);
    expect(result.files).toBe(names.length);
    expect(result.bytes).toBe(readFileSync(result.zipPath).length);

    const packed = JSON.parse(zip.readAsText('plugin.json'));
    expect(packed).toEqual(result.manifest);
    expect(Object.keys(packed.files).sort()).toEqual(names.filter((n) => n !== 'plugin.json'));
    for (const [path, hash] of Object.entries(packed.files)) {
      const data = zip.readFile(path)!;
      expect(createHash('sha256').update(data).digest('hex')).toBe(hash);
    }
  });

  it('produces a CommonJS bundle whose default export is the defined plugin', async () => {
    const root = tempDir();
    writePlugin(root);
    const result = await bundlePlugin(root, { outDir: join(root, 'out'), outFilename: 'p.zip' });
    expect(result.zipPath).toBe(join(root, 'out', 'p.zip'));

    const extracted = tempDir();
    new AdmZip(result.zipPath).extractAllTo(extracted, true);
    const mod = createRequire(import.meta.url)(join(extracted, 'dist', 'index.cjs'));
    expect(typeof mod.default.activate).toBe('function');
    expect(mod.default.$$brand).toBe('spindle.plugin-sdk');
    expect(mod.hello('you')).toBe('hello you');
  });

  it('keeps kernel libraries external', async () => {
    const root = tempDir();
    write(root, 'plugin.json', JSON.stringify(MANIFEST));
    write(
      root,
      'index.js',
      "const t = require('tapable'); const fs = require('node:fs'); module.exports = { t, fs };\n",
    );
    await bundlePlugin(root);
    const code = readFileSync(join(root, 'dist', 'index.cjs'), 'utf8');
    expect(code).toContain('require("tapable")');
    expect(code).toContain('require("node:fs")');
  });

  it('says clearly when plugin.json is missing or broken', async () => {
    const root = tempDir();
    await expect(bundlePlugin(join(root, 'nope'))).rejects.toThrow(/plugin directory .*nope does not exist/);
    await expect(bundlePlugin(root)).rejects.toThrow(/no plugin\.json in/);
    write(root, 'plugin.json', '{ nope');
    await expect(bundlePlugin(root)).rejects.toThrow(/plugin\.json is not valid JSON/);
    write(root, 'plugin.json', JSON.stringify({ ...MANIFEST, main: undefined }));
    await expect(bundlePlugin(root)).rejects.toThrow(/"main" is missing/);
  });

  it('names the places it looked when the entry is missing', async () => {
    const root = tempDir();
    write(root, 'plugin.json', JSON.stringify(MANIFEST));
    await expect(bundlePlugin(root)).rejects.toThrow(/looked for src\/index\.ts, src\/index\.js, index\.ts, index\.js/);
  });

  it('reports esbuild errors with their location', async () => {
    const root = tempDir();
    write(root, 'plugin.json', JSON.stringify(MANIFEST));
    write(root, 'src/index.ts', "import './missing.js';\n");
    await expect(bundlePlugin(root)).rejects.toThrow(/esbuild failed .*index\.ts:1:\d+: Could not resolve/);
  });
});
