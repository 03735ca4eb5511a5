/**
 * A scheduler written outside this repository, as a plugin author would: a directory of its own
 * with `plugin.json` and `src/index.ts` importing `spindle/plugin-sdk` and the scheduling helpers
 * from `spindle/plugin-sdk/scheduling`, bundled with `spindle plugin bundle`, installed, named by a
 * queue, and placing a job that then runs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeJob, fakeJobType, fakeTarget } from '../helpers/fake-job-plugins.js';
import { deployForm } from '../helpers/job-upload.js';
import { pluginZip } from '../helpers/plugin-fixtures.js';
import { startTestKernel, uploadZip } from '../helpers/test-kernel.js';

const BIN = fileURLToPath(new URL('../../bin/spindle.js', import.meta.url));
const json = { 'content-type': 'application/json' };

const SOURCE = `import { definePlugin, type ScheduleResult } from 'spindle/plugin-sdk';
import { PassModel, oldestFirst, resolvePlacementConfig } from 'spindle/plugin-sdk/scheduling';

/** Oldest first, packed onto as few agents as possible. */
export default definePlugin({
  activate(ctx) {
    const config = resolvePlacementConfig({ agentSelection: 'concentrated' });
    ctx.scheduling.registerScheduler('packer', {
      async schedule(snapshot) {
        const model = new PassModel(snapshot, config);
        const result: ScheduleResult = { placements: [], waiting: [] };
        for (const i of oldestFirst(snapshot.pending)) {
          const job = snapshot.pending[i]!;
          const agentId = model.place(i);
          if (agentId) result.placements.push({ jobId: job.id, agentId });
          else result.waiting.push({ jobId: job.id, reason: 'packer: ' + model.whyNot(i) });
        }
        return result;
      },
    });
  },
});
`;

let k: Awaited<ReturnType<typeof startTestKernel>>;
let zipPath: string;

beforeAll(async () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'spindle-author-')), 'packer-scheduler');
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(
    path.join(dir, 'plugin.json'),
    JSON.stringify(
      {
        name: 'packer-scheduler',
        version: '1.0.0',
        category: 'scheduler',
        main: 'dist/index.cjs',
        engines: { spindle: '^1.1.0' },
      },
      null,
      2,
    ),
  );
  writeFileSync(path.join(dir, 'src', 'index.ts'), SOURCE);
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'plugin', 'bundle', dir], { cwd: dir });
  zipPath = path.join(dir, 'dist', 'packer-scheduler-1.0.0.zip');
  expect(stdout).toContain('bundled packer-scheduler@1.0.0');
  k = await startTestKernel({ env: { SPINDLE_SCHEDULER_TICK_MS: '200' } });
  for (const plugin of [fakeTarget, fakeJobType]) expect((await uploadZip(k.api, pluginZip(plugin))).status).toBe(201);
}, 60_000);
afterAll(() => k?.close());

describe('a scheduler written outside this repository', () => {
  it('bundles the SDK scheduling helpers into its own ZIP', () => {
    const bundle = readFileSync(path.join(path.dirname(zipPath), '..', 'dist', 'index.cjs'), 'utf8');
    expect(bundle).toMatch(/PassModel = class|class PassModel/);
    expect(bundle).not.toMatch(/require\(["']spindle\/plugin-sdk/);
  });

  it('is installed, named by a queue, and places a job that then runs', async () => {
    const installed = await k.api('/api/v1/plugins', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ path: zipPath }),
    });
    expect(installed.status).toBe(201);
    expect(await installed.json()).toMatchObject({ name: 'packer-scheduler', state: 'active' });
    expect(
      (
        await k.api('/api/v1/queues/packed', {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ scheduler: 'packer' }),
        })
      ).status,
    ).toBe(200);
    const deployed = await k.api('/api/v1/jobs', {
      method: 'POST',
      body: deployForm(
        fakeJob('packed-job', { queue: 'packed' }),
        pluginZip({ name: 'x', version: '0.0.0', source: '' }),
      ),
    });
    expect(deployed.status).toBe(201);
    let job: { state: string; agentId: string | null } = { state: 'PENDING', agentId: null };
    for (let i = 0; i < 100 && job.state !== 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await k.api('/api/v1/jobs/packed-job/1.0.0')).json()) as typeof job;
    }
    expect(job).toMatchObject({ state: 'RUNNING', agentId: 'a1' });
  });
});
