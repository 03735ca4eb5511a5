import type { DeployRequest } from 'spindle/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { containerName, createSpec, imageTag } from './container-spec.js';

const request = (patch: Partial<DeployRequest> = {}): DeployRequest => ({
  job: {
    id: 'J1',
    name: 'adder',
    version: '1.0.0',
    owner: 'ada',
    jobtype: 'python3:1.x',
    jobtypeResolved: 'python3:1.0.0',
    kind: 'service',
    replicas: 2,
    resources: { cpu: 0.5, memory: 256 },
  },
  run: { command: ['python3'], env: { VIRTUAL_ENV: '/host/venv' }, healthPath: '/health' },
  agentId: 'docker:host',
  env: { GREETING: 'hi', API_KEY: 'very-secret', PATH: '/opt/bin:/usr/bin' },
  sourceDir: '/src',
  workDir: '/work',
  logDir: '/logs/J1',
  mounts: [{ volume: 'local:data', hostPath: '/vol/data', mountPath: '/data', readOnly: true }],
  ...patch,
});

describe('createSpec', () => {
  it('labels, limits, mounts and publishes a service replica on loopback', () => {
    const { args } = createSpec(request(), 1, { port: 7000, publishHost: '127.0.0.1' });
    expect(args.slice(0, 3)).toEqual(['create', '--name', containerName('J1', 1)]);
    expect(args).toEqual(
      expect.arrayContaining([
        '--label',
        'spindle.managed=true',
        '--label',
        'spindle.job=J1',
        '--label',
        'spindle.replica=1',
        '--label',
        'spindle.logdir=/logs/J1',
      ]),
    );
    expect(args.join(' ')).toContain('--memory 256m --cpus 0.5');
    expect(args).toEqual(
      expect.arrayContaining([
        '--mount',
        'type=bind,source=/vol/data,target=/data,readonly',
        '--publish',
        '127.0.0.1::7000',
      ]),
    );
    expect(imageTag('J1')).toBe('spindle-job-j1');
  });

  it('never puts an env value on the command line or in a label', () => {
    const spec = createSpec(request(), 0, { port: 7000, publishHost: '127.0.0.1' });
    expect(spec.args.join(' ')).not.toContain('very-secret');
    expect(spec.args).toEqual(expect.arrayContaining(['--env', 'API_KEY', '--env', 'GREETING', '--env', 'PORT']));
    expect(spec.env).toMatchObject({
      API_KEY: 'very-secret',
      GREETING: 'hi',
      PORT: '7000',
      SPINDLE_REPLICA: '0',
      SPINDLE_VOLUME_DATA: '/data',
    });
    // The host-side run env (a local venv) is not the container's.
    expect(spec.env).not.toHaveProperty('VIRTUAL_ENV');
    // PATH is the CLI's own variable: it travels in an env file instead.
    expect(spec.env).not.toHaveProperty('PATH');
    expect(spec.envFile).toBe('PATH=/opt/bin:/usr/bin\n');
  });

  it('publishes nothing for a batch job and refuses a mount path docker cannot take', () => {
    const batch = request({ job: { ...request().job, kind: 'batch' } });
    expect(createSpec(batch, 0, { publishHost: '127.0.0.1' }).args).not.toContain('--publish');
    const odd = request({ mounts: [{ volume: 'local:x', hostPath: '/vol/a,b', mountPath: '/x', readOnly: false }] });
    expect(() => createSpec(odd, 0, { publishHost: '127.0.0.1' })).toThrow(/comma/);
  });
});
