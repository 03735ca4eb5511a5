import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CommandContext } from './context.js';
import type { CliIo } from './io.js';
import { registerValidateCommand, SECRET_MASK } from './validate-command.js';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'spindle-validate-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

/** Runs `spindle <argv>` on a program holding only the validate command. */
async function run(argv: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
  };
  const program = new Command('spindle')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  registerValidateCommand(program, new CommandContext(io));
  await program.parseAsync(argv, { from: 'user' });
  return { out, err };
}

const JOB = 'name: adder\nversion: 1.2.0\njobtype: python3:1.x\n';

describe('spindle validate', () => {
  it('prints the final manifest as YAML and names its sources on stderr', async () => {
    const root = tree({ 'base.yaml': 'owner: team-a\nreplicas: 2\n', 'job/job.yaml': `${JOB}extends: ../base.yaml\n` });
    const { out, err } = await run(['validate', path.join(root, 'job'), '-e', 'replicas=3', '--set', 'env.DEBUG=1']);
    expect(parseYaml(out)).toEqual({
      name: 'adder',
      version: '1.2.0',
      owner: 'team-a',
      jobtype: 'python3:1.x',
      queue: 'default',
      kind: 'service',
      replicas: 3,
      resources: { cpu: 1, memory: 256 },
      env: { DEBUG: '1' },
    });
    expect(err).toBe(
      `adder@1.2.0 is valid; read from ${path.join(root, 'job/job.yaml')}, ${path.join(root, 'base.yaml')}\n`,
    );
  });

  it('prints JSON with --json and reads --file', async () => {
    const root = tree({ 'prod.yml': JOB });
    const { out } = await run(['validate', root, '--file', 'prod.yml', '--json']);
    expect(JSON.parse(out)).toMatchObject({ name: 'adder', kind: 'service' });
  });

  it('shows secret names, never their values', async () => {
    const root = tree({
      'job.yaml': `${JOB}secretEnv: {TOKEN: hunter2}\nsecretEnvFile: .env\n`,
      '.env': 'DB_PASSWORD=s3cret\n',
    });
    for (const flags of [[], ['--json']]) {
      const { out, err } = await run(['validate', root, '-e', 'secretEnv.API_KEY=k3y', ...flags]);
      expect(`${out}${err}`).not.toMatch(/hunter2|s3cret|k3y/);
      const printed = (flags.length ? JSON.parse(out) : parseYaml(out)) as Record<string, unknown>;
      expect(printed.secretEnv).toEqual({ DB_PASSWORD: SECRET_MASK, TOKEN: SECRET_MASK, API_KEY: SECRET_MASK });
      expect(printed).not.toHaveProperty('secretEnvFile');
    }
  });

  it('fails with the manifest problems', async () => {
    const root = tree({ 'job.yaml': JOB });
    await expect(run(['validate', root, '-e', 'replicas=0'])).rejects.toThrow(/\/replicas: must be >= 1/);
    await expect(run(['validate', root, '-e', 'replicas'])).rejects.toThrow(
      /override "replicas" is not key\.path=value/,
    );
  });
});
