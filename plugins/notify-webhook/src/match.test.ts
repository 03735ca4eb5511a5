import { describe, expect, it } from 'vitest';
import { matchesAny, matchesPattern } from './match.js';

describe('matchesPattern', () => {
  it('matches exact types, families and everything', () => {
    expect(matchesPattern('job.failed', 'job.failed')).toBe(true);
    expect(matchesPattern('job.failed', 'job.failed-over')).toBe(false);
    expect(matchesPattern('job.*', 'job.running')).toBe(true);
    expect(matchesPattern('job.*', 'jobs.running')).toBe(false);
    expect(matchesPattern('job.*', 'plugin.installed')).toBe(false);
    expect(matchesPattern('*', 'system.started')).toBe(true);
  });

  it('matches when any pattern of a list does, and never with an empty list', () => {
    expect(matchesAny(['plugin.installed', 'job.*'], 'job.lost')).toBe(true);
    expect(matchesAny(['plugin.installed'], 'plugin.failed')).toBe(false);
    expect(matchesAny([], 'job.lost')).toBe(false);
  });
});
