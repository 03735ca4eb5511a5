import { describe, expect, it } from 'vitest';
import { mountEnv } from './mount-env.js';

describe('mountEnv', () => {
  it('gives nothing for a job without volumes', () => {
    expect(mountEnv([], 'host')).toEqual({});
    expect(mountEnv(undefined, 'host')).toEqual({});
  });

  it('maps mount paths to host paths and names each volume', () => {
    const env = mountEnv(
      [
        { volume: 'local:train-data.v1', hostPath: '/srv/v/train-data.v1/data', mountPath: '/data', readOnly: true },
        { volume: 'local:out', hostPath: '/srv/v/out/data', mountPath: '/out', readOnly: false },
      ],
      'host',
    );
    expect(JSON.parse(env.SPINDLE_MOUNTS!)).toEqual({
      '/data': '/srv/v/train-data.v1/data',
      '/out': '/srv/v/out/data',
    });
    expect(env.SPINDLE_VOLUME_TRAIN_DATA_V1).toBe('/srv/v/train-data.v1/data');
    expect(env.SPINDLE_VOLUME_OUT).toBe('/srv/v/out/data');
  });

  it('gives the mount paths for containers', () => {
    const env = mountEnv(
      [{ volume: 'local:out', hostPath: '/srv/v/out/data', mountPath: '/out', readOnly: false }],
      'mount',
    );
    expect(env).toEqual({ SPINDLE_MOUNTS: JSON.stringify({ '/out': '/out' }), SPINDLE_VOLUME_OUT: '/out' });
  });
});
