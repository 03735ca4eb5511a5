/** Test plugins for the job side: a target with configurable agents and a job type, no processes. */
import type { FixturePlugin } from './plugin-fixtures.js';

/** Target `fake`: agents from config; deploy succeeds at once (or fails for jobs named `fail-*`). */
export const fakeTarget: FixturePlugin = {
  name: 'fake-target',
  version: '1.0.0',
  manifest: {
    category: 'infrastructure',
    configSchema: {
      type: 'object',
      properties: { agents: { type: 'array', default: [{ id: 'a1', capacity: { cpu: 2, memory: 1024 } }] } },
    },
  },
  source: `module.exports = definePlugin({ activate(ctx) {
    const running = new Map();
    ctx.infrastructure.registerTarget('fake', {
      async agents() { return ctx.config.agents.map((a) => ({ id: a.id, target: 'fake', capacity: a.capacity, allocated: {} })); },
      async deploy(req) {
        if (req.job.name.startsWith('fail-')) throw new Error('the fake target refuses ' + req.job.name);
        const replicas = [{ id: req.job.id + '-0', address: 'http://127.0.0.1:9' }];
        running.set(req.job.id, replicas);
        return { replicas };
      },
      async stop(jobId) { running.delete(jobId); },
      async list() { return [...running].map(([jobId, replicas]) => ({ jobId, replicas })); },
      async logs() { return { text: '', offset: 0 }; },
    });
  } });`,
};

/** Job type `fake:1.0.0`; prepare fails for jobs labelled `prepare: fail`. */
export const fakeJobType: FixturePlugin = {
  name: 'fake-jobtype',
  version: '1.0.0',
  manifest: { category: 'job-type' },
  source: `module.exports = definePlugin({ activate(ctx) {
    ctx.jobTypes.register({ name: 'fake', version: '1.0.0', async prepare(req) {
      if ((req.job.labels || {}).prepare === 'fail') throw new Error('cannot prepare this one');
      return { command: ['true'], env: {}, healthPath: '/' };
    } });
  } });`,
};

export const fakeJob = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: '1.0.0',
  jobtype: 'fake:1.x',
  resources: { cpu: 1, memory: 64 },
  ...extra,
});
