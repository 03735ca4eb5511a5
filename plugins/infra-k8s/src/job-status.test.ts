import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { batchOutcome, describePods, failedExitCode, isPodReady, readiness } from './job-status.js';

const job = (status: V1Job['status'], completions = 2): V1Job => ({ spec: { completions, template: {} }, status });

describe('job status', () => {
  it('tells a finished Job from a running one', () => {
    expect(batchOutcome(job({ active: 2 }))).toBeUndefined();
    expect(batchOutcome(job({ succeeded: 1, active: 1 }))).toBeUndefined();
    expect(batchOutcome(job({ succeeded: 2 }))).toEqual({ state: 'SUCCEEDED', reason: '2 of 2 pods succeeded' });
    expect(
      batchOutcome(
        job({
          failed: 4,
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        }),
      ),
    ).toEqual({
      state: 'FAILED',
      reason: 'Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });

  it('reads readiness, ready pods, exit codes and why pods wait', () => {
    expect(readiness({ spec: { replicas: 3, selector: {}, template: {} }, status: { readyReplicas: 2 } })).toEqual({
      ready: 2,
      wanted: 3,
    });
    const waiting: V1Pod = {
      metadata: { name: 'p-1' },
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'job',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
          },
        ],
      },
    };
    const crashed: V1Pod = {
      metadata: { name: 'p-2' },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'job',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 2 } },
          },
        ],
      },
    };
    const ready: V1Pod = {
      metadata: { name: 'p-3' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(describePods([waiting, crashed])).toBe(
      'p-1: Pending (ImagePullBackOff: Back-off pulling image "x"); p-2: Running (CrashLoopBackOff), 3 restarts',
    );
    expect(failedExitCode([waiting, crashed])).toBe(2);
    expect([waiting, crashed, ready].filter(isPodReady).map((p) => p.metadata!.name)).toEqual(['p-3']);
  });
});
