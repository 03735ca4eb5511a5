/** The store contract for jobs and volumes, on SQLite and PostgreSQL (see store-contract.test.ts). */
import { describe, expect, it } from 'vitest';
import { needService } from '../../tests/helpers/services.js';
import type { JobRecord } from './job-record.js';
import { describeStoreContract, job } from './store-contract.test-helper.js';

const postgres = await needService('postgres');

describeStoreContract('jobs and volumes', postgres.skip, (t) => {
  describe('jobs', () => {
    it('insert numbers jobs in submission order and keeps secrets and the first event', async () => {
      const { jobStore } = t.state;
      const a = await jobStore.insertJob(job('web', '1.0.0'), { TOKEN: 's3cret' });
      const b = await jobStore.insertJob(job('web', '2.0.0', { owner: 'bob' }), {});
      expect(a).toEqual({ ...job('web', '1.0.0'), seq: 1 });
      expect(b.seq).toBe(2);
      expect(await jobStore.getJob(a.id)).toEqual(a);
      expect(await jobStore.findJob('web', '2.0.0')).toEqual(b);
      expect(await jobStore.getJob('nope')).toBeUndefined();
      expect(await jobStore.findJob('web', '9.0.0')).toBeUndefined();
      expect(await jobStore.getSecrets(a.id)).toEqual({ TOKEN: 's3cret' });
      expect(await jobStore.getSecrets('nope')).toEqual({});
      expect(await jobStore.listEvents(a.id)).toEqual([
        { jobId: a.id, at: a.submittedAt, from: null, to: 'PENDING', reason: 'submitted' },
      ]);
      await expect(jobStore.insertJob(job('web', '1.0.0', { id: 'other' }), {})).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'insertJob' },
      });
      expect(await jobStore.getSecrets('other')).toEqual({});
    });

    it('concurrent inserts get distinct, gapless numbers', async () => {
      const jobs = await Promise.all(
        [...Array(8).keys()].map((i) => t.state.jobStore.insertJob(job('batch', `1.0.${i}`), {})),
      );
      expect(jobs.map((j) => j.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('lists by filter in submission order; pending per queue; allocated', async () => {
      const { jobStore } = t.state;
      await jobStore.insertJob(job('b', '1.0.0', { queue: 'gpu' }), {});
      await jobStore.insertJob(job('a', '1.0.0', { owner: 'bob' }), {});
      await jobStore.insertJob(job('a', '2.0.0', { state: 'RUNNING', agentId: 'agent-1' }), {});
      await jobStore.insertJob(job('c', '1.0.0', { state: 'SCHEDULED', agentId: 'agent-2' }), {});
      await jobStore.insertJob(job('d', '1.0.0', { state: 'FAILED' }), {});
      await jobStore.insertJob(job('e', '1.0.0'), {});
      const names = (jobs: JobRecord[]) => jobs.map((j) => `${j.name}@${j.version}`);
      expect(names(await jobStore.listJobs())).toEqual([
        'b@1.0.0',
        'a@1.0.0',
        'a@2.0.0',
        'c@1.0.0',
        'd@1.0.0',
        'e@1.0.0',
      ]);
      expect(names(await jobStore.listJobs({ name: 'a' }))).toEqual(['a@1.0.0', 'a@2.0.0']);
      expect(names(await jobStore.listJobs({ name: 'a', version: '2.0.0' }))).toEqual(['a@2.0.0']);
      expect(names(await jobStore.listJobs({ owner: 'bob' }))).toEqual(['a@1.0.0']);
      expect(names(await jobStore.listJobs({ queue: 'gpu' }))).toEqual(['b@1.0.0']);
      expect(names(await jobStore.listJobs({ state: 'PENDING', queue: 'default' }))).toEqual(['a@1.0.0', 'e@1.0.0']);
      expect(names(await jobStore.pendingJobs('default'))).toEqual(['a@1.0.0', 'e@1.0.0']);
      expect(names(await jobStore.pendingJobs('none'))).toEqual([]);
      expect(names(await jobStore.allocatedJobs())).toEqual(['a@2.0.0', 'c@1.0.0']);
    });

    it('transition applies only from the given states, with its patch, and records the event', async () => {
      const { jobStore } = t.state;
      const inserted = await jobStore.insertJob(job('web', '1.0.0', { state: 'SCHEDULED', agentId: 'agent-1' }), {});
      expect(
        await jobStore.transition(inserted.id, { from: ['PENDING'], to: 'RUNNING', reason: 'no' }),
      ).toBeUndefined();
      expect(await jobStore.transition('nope', { from: ['PENDING'], to: 'RUNNING', reason: 'no' })).toBeUndefined();
      const runtime = { replicas: [{ index: 0, state: 'running' }] } as unknown as JobRecord['runtime'];
      const moved = await jobStore.transition(inserted.id, {
        from: ['SCHEDULED', 'PREPARING'],
        to: 'RUNNING',
        reason: 'started',
        patch: { runtime, attempts: 2, notice: 'hm' },
      });
      expect(moved).toMatchObject({
        state: 'RUNNING',
        reason: 'started',
        runtime,
        attempts: 2,
        notice: 'hm',
        agentId: 'agent-1',
        seq: 1,
      });
      expect(await jobStore.getJob(inserted.id)).toEqual(moved);
      const cleared = await jobStore.transition(inserted.id, {
        from: ['RUNNING'],
        to: 'TERMINATED',
        reason: 'stopped',
        patch: { agentId: null, notice: null },
      });
      expect(cleared).toMatchObject({ state: 'TERMINATED', agentId: null, notice: null, attempts: 2 });
      expect(await jobStore.getJob(inserted.id)).toEqual(cleared);
      expect((await jobStore.listEvents(inserted.id)).map((e) => [e.from, e.to, e.reason])).toEqual([
        [null, 'SCHEDULED', 'submitted'],
        ['SCHEDULED', 'RUNNING', 'started'],
        ['RUNNING', 'TERMINATED', 'stopped'],
      ]);
    });

    it('of two racing transitions from one state, exactly one moves the job', async () => {
      const { jobStore } = t.state;
      const inserted = await jobStore.insertJob(job('web', '1.0.0'), {});
      const results = await Promise.all([
        jobStore.transition(inserted.id, { from: ['PENDING'], to: 'CANCELLED', reason: 'cancelled' }),
        jobStore.transition(inserted.id, {
          from: ['PENDING'],
          to: 'SCHEDULED',
          reason: 'placed',
          patch: { agentId: 'a' },
        }),
      ]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await jobStore.listEvents(inserted.id)).toHaveLength(2);
    });

    it('commitPass reserves PENDING placements, records why the rest wait, in one go', async () => {
      const { jobStore } = t.state;
      const a = await jobStore.insertJob(job('a', '1.0.0'), {});
      const b = await jobStore.insertJob(job('b', '1.0.0'), {});
      const c = await jobStore.insertJob(job('c', '1.0.0', { state: 'CANCELLED' }), {});
      const d = await jobStore.insertJob(job('d', '1.0.0'), {});
      const e = await jobStore.insertJob(job('e', '1.0.0', { state: 'RUNNING' }), {});
      const at = '2024-06-01T00:00:00.000Z';
      const reserved = await jobStore.commitPass(
        {
          placements: [
            { jobId: b.id, agentId: 'agent-2' },
            { jobId: a.id, agentId: 'agent-1' },
            { jobId: c.id, agentId: 'agent-1' },
            { jobId: 'gone', agentId: 'agent-1' },
          ],
          waiting: [
            { jobId: d.id, reason: 'no agent has 1 cpu free' },
            { jobId: e.id, reason: 'ignored' },
            { jobId: a.id, reason: 'ignored too' },
          ],
        },
        at,
      );
      expect(reserved).toEqual([b.id, a.id]);
      expect(await jobStore.getJob(a.id)).toMatchObject({
        state: 'SCHEDULED',
        agentId: 'agent-1',
        reason: 'placed on agent agent-1',
        updatedAt: at,
        attempts: 0,
      });
      expect(await jobStore.getJob(b.id)).toMatchObject({
        state: 'SCHEDULED',
        agentId: 'agent-2',
        reason: 'placed on agent agent-2',
      });
      expect(await jobStore.getJob(c.id)).toMatchObject({ state: 'CANCELLED', agentId: null });
      expect(await jobStore.getJob(d.id)).toMatchObject({
        state: 'PENDING',
        reason: 'no agent has 1 cpu free',
        attempts: 1,
        updatedAt: at,
      });
      expect(await jobStore.getJob(e.id)).toMatchObject({ state: 'RUNNING', reason: 'submitted', attempts: 0 });
      expect((await jobStore.listEvents(a.id)).at(-1)).toEqual({
        jobId: a.id,
        at,
        from: 'PENDING',
        to: 'SCHEDULED',
        reason: 'placed on agent agent-1',
      });
      expect(await jobStore.listEvents(c.id)).toHaveLength(1);
      expect(await jobStore.listEvents(d.id)).toHaveLength(1);

      expect(await jobStore.commitPass({ placements: [{ jobId: a.id, agentId: 'agent-3' }], waiting: [] }, at)).toEqual(
        [],
      );
      expect(await jobStore.commitPass({ placements: [], waiting: [] }, at)).toEqual([]);
    });

    it('of two replicas placing the same jobs at once, each job is reserved by one only', async () => {
      const other = await t.backend.open();
      try {
        const ids = (
          await Promise.all([...Array(6).keys()].map((i) => t.state.jobStore.insertJob(job('j', `1.0.${i}`), {})))
        ).map((j) => j.id);
        const pass = (agentId: string) => ({ placements: ids.map((jobId) => ({ jobId, agentId })), waiting: [] });
        const [mine, theirs] = await Promise.all([
          t.state.jobStore.commitPass(pass('agent-1'), '2024-01-01T00:00:00.000Z'),
          other.jobStore.commitPass(pass('agent-2'), '2024-01-01T00:00:00.000Z'),
        ]);
        expect([...mine, ...theirs].sort()).toEqual([...ids].sort());
        for (const id of ids)
          expect((await t.state.jobStore.listEvents(id)).filter((e) => e.to === 'SCHEDULED')).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('the generation moves with every write, not with reads', async () => {
      const { jobStore } = t.state;
      const start = jobStore.generation;
      const a = await jobStore.insertJob(job('a', '1.0.0'), {});
      const afterInsert = jobStore.generation;
      expect(afterInsert).toBeGreaterThan(start);
      await jobStore.listJobs();
      await jobStore.getJob(a.id);
      await jobStore.listEvents(a.id);
      expect(jobStore.generation).toBe(afterInsert);
      let last = afterInsert;
      const writes = [
        () => jobStore.transition(a.id, { from: ['PENDING'], to: 'PENDING', reason: 'again' }),
        () => jobStore.transition(a.id, { from: ['RUNNING'], to: 'PENDING', reason: 'refused' }),
        () =>
          jobStore.commitPass(
            { placements: [], waiting: [{ jobId: a.id, reason: 'wait' }] },
            '2024-01-01T00:00:00.000Z',
          ),
        () => jobStore.setNotice(a.id, 'note'),
        () => jobStore.putQueue({ name: 'q', scheduler: 'fifo' }),
        () => jobStore.deleteJob(a.id),
      ];
      for (const write of writes) {
        await write();
        expect(jobStore.generation).toBeGreaterThan(last);
        last = jobStore.generation;
      }
    });

    it('notice, delete with secrets and events, queues', async () => {
      const { jobStore } = t.state;
      const a = await jobStore.insertJob(job('a', '1.0.0'), { K: 'v' });
      await jobStore.setNotice(a.id, 'job type python3:1.2.0 was uninstalled');
      expect(await jobStore.getJob(a.id)).toMatchObject({
        notice: 'job type python3:1.2.0 was uninstalled',
        state: 'PENDING',
      });
      await jobStore.setNotice(a.id, null);
      expect((await jobStore.getJob(a.id))?.notice).toBeNull();
      await jobStore.deleteJob(a.id);
      expect(await jobStore.getJob(a.id)).toBeUndefined();
      expect(await jobStore.getSecrets(a.id)).toEqual({});
      expect(await jobStore.listEvents(a.id)).toEqual([]);
      expect((await jobStore.insertJob(job('a', '1.0.0'), {})).seq).toBe(1);

      expect(await jobStore.getQueue('gpu')).toBeUndefined();
      await jobStore.putQueue({ name: 'gpu', scheduler: 'fifo', maxJobsPerOwner: 2 });
      await jobStore.putQueue({ name: 'default', scheduler: 'fifo' });
      await jobStore.putQueue({ name: 'gpu', scheduler: 'fair', quotaPerOwner: { gpu: 1 } });
      expect(await jobStore.getQueue('gpu')).toEqual({ name: 'gpu', scheduler: 'fair', quotaPerOwner: { gpu: 1 } });
      expect((await jobStore.listQueues()).map((q) => q.name)).toEqual(['default', 'gpu']);
    });
  });

  describe('volumes', () => {
    it('records, lists by backend and name, shares, delete drops the shares', async () => {
      const { volumeStore } = t.state;
      const vol = (backend: string, name: string) => ({
        backend,
        name,
        owner: 'alice',
        createdAt: '2024-01-01T00:00:00.000Z',
      });
      await volumeStore.insertVolume(vol('local', 'data'));
      await volumeStore.insertVolume(vol('local', 'Archive'));
      await volumeStore.insertVolume(vol('s3', 'data'));
      await expect(volumeStore.insertVolume(vol('local', 'data'))).rejects.toMatchObject({
        code: 'KRN_ERR_STATE',
        details: { operation: 'insertVolume' },
      });
      expect(await volumeStore.getVolume('local', 'data')).toEqual(vol('local', 'data'));
      expect(await volumeStore.getVolume('local', 'nope')).toBeUndefined();
      expect((await volumeStore.listVolumes()).map((v) => `${v.backend}:${v.name}`)).toEqual([
        'local:Archive',
        'local:data',
        's3:data',
      ]);

      await volumeStore.putShare('local', 'data', 'bob', 'ro');
      await volumeStore.putShare('local', 'data', 'group:ops', 'rw');
      await volumeStore.putShare('local', 'data', 'bob', 'rw');
      await volumeStore.putShare('s3', 'data', 'carol', 'ro');
      expect(await volumeStore.listShares('local', 'data')).toEqual([
        { grantee: 'bob', mode: 'rw' },
        { grantee: 'group:ops', mode: 'rw' },
      ]);
      await volumeStore.putShare('local', 'data', 'bob', null);
      await volumeStore.putShare('local', 'data', 'nobody', null);
      expect(await volumeStore.listShares('local', 'data')).toEqual([{ grantee: 'group:ops', mode: 'rw' }]);
      await volumeStore.deleteVolume('local', 'data');
      expect(await volumeStore.getVolume('local', 'data')).toBeUndefined();
      expect(await volumeStore.listShares('local', 'data')).toEqual([]);
      expect(await volumeStore.listShares('s3', 'data')).toEqual([{ grantee: 'carol', mode: 'ro' }]);
    });
  });
});
