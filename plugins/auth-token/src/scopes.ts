/**
 * Racetrack-style permission scopes, as a pure function: a user's grants × the kernel's action ×
 * the resource → allowed, or the scope that is missing and a reason a person can act on.
 */
import type { ResourceRef } from 'spindle/plugin-sdk';

export const SCOPES = [
  'read_job',
  'deploy_job',
  'deploy_new_family',
  'delete_job',
  'call_job',
  'manage_plugins',
  'manage_users',
  'full_access',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Which jobs a grant covers: all of them, one family (every version), or one `name@version`. */
export type JobTarget = '*' | { family: string } | { job: string };

export interface Grant {
  scope: Scope;
  /** Default `*`. Only meaningful for the job scopes. */
  jobs?: JobTarget;
  /** `call_job` only: the grant covers this endpoint alone (e.g. `/perform`). */
  endpoint?: string;
}

/** Endpoints of this plugin that any authenticated caller may reach (the handler checks the rest). */
export const OPEN_ENDPOINTS: readonly string[] = ['/me', '/login', '/signup'];
/** Endpoints an anonymous caller (from `auth.preAuth`) may reach. */
export const ANONYMOUS_ENDPOINTS: readonly string[] = ['/login', '/signup'];

export type ScopeDecision = { allow: true } | { allow: false; scope: Scope; reason: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const JOB = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}@[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/;

/** `/perform`, `perform/` and `/perform/` are the same endpoint. */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed || '/' : `/${trimmed}`;
}

/** The scope the kernel's action needs on this resource; `open` when anyone authenticated may. */
export function requiredScope(action: string, resource: ResourceRef, self: string): Scope | 'open' {
  switch (action) {
    case 'read_job':
    case 'deploy_job':
    case 'deploy_new_family':
    case 'delete_job':
    case 'call_job':
      return action;
    case 'manage_plugins':
    case 'read_system':
    case 'manage_system':
      return 'manage_plugins';
    case 'create_volume':
      return 'deploy_job'; // whoever may deploy jobs may make volumes for them (owner-only until shared)
    case 'call_plugin': {
      if (resource.name !== self) return 'manage_plugins';
      const endpoint = normalizeEndpoint(resource.endpoint ?? '/');
      return OPEN_ENDPOINTS.includes(endpoint) ? 'open' : 'manage_users';
    }
    default:
      return 'full_access'; // an action this plugin does not know: only full_access covers it
  }
}

function jobTargetCovers(target: JobTarget, resource: ResourceRef): boolean {
  if (target === '*') return true;
  if (resource.kind !== 'job') return false;
  const family = resource.family ?? resource.name;
  if ('family' in target) return family === target.family;
  const at = target.job.lastIndexOf('@');
  return family === target.job.slice(0, at) && resource.version === target.job.slice(at + 1);
}

/** Does this one grant cover `scope` on the resource? */
export function grantCovers(grant: Grant, scope: Scope, resource: ResourceRef): boolean {
  if (grant.scope === 'full_access') return true;
  if (grant.scope !== scope) return false;
  if (scope === 'manage_plugins' || scope === 'manage_users') return true;
  if (!jobTargetCovers(grant.jobs ?? '*', resource)) return false;
  if (grant.endpoint === undefined) return true;
  return (
    scope === 'call_job' &&
    resource.endpoint !== undefined &&
    normalizeEndpoint(resource.endpoint) === normalizeEndpoint(grant.endpoint)
  );
}

/** How the resource reads in a refusal: `job adder`, `job adder@1.0.0 endpoint /perform`, `all jobs`. */
export function describeTarget(resource: ResourceRef): string {
  if (resource.kind === 'system') return 'the system';
  const name = resource.name ?? resource.family;
  if (!name) return `all ${resource.kind}s`;
  const id = resource.version ? `${name}@${resource.version}` : name;
  return `${resource.kind} ${id}${resource.endpoint ? ` endpoint ${resource.endpoint}` : ''}`;
}

/** Decide from the grants alone. `who` names the user in the reason; `self` is this plugin's name. */
export function decide(
  grants: readonly Grant[],
  action: string,
  resource: ResourceRef,
  who: string,
  self: string,
): ScopeDecision {
  const scope = requiredScope(action, resource, self);
  if (scope === 'open') return { allow: true };
  if (grants.some((grant) => grantCovers(grant, scope, resource))) return { allow: true };
  return { allow: false, scope, reason: `${who} has no ${scope} on ${describeTarget(resource)}` };
}

/** Check and normalise a grant from a request body; throws an Error with a message for the caller. */
export function parseGrant(value: unknown): Grant {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('a grant must be an object {scope, jobs?, endpoint?}');
  const { scope, jobs, endpoint, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new Error(`a grant has no field "${extra[0]}" (fields: scope, jobs, endpoint)`);
  if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
    throw new Error(`grant scope must be one of ${SCOPES.join(', ')} (got ${JSON.stringify(scope)})`);
  }
  const grant: Grant = { scope: scope as Scope, jobs: parseTarget(jobs) };
  if (endpoint !== undefined) {
    if (scope !== 'call_job') throw new Error('a grant endpoint is only allowed with scope call_job');
    if (typeof endpoint !== 'string' || endpoint.trim() === '' || endpoint.length > 1024)
      throw new Error('grant endpoint must be a path such as "/perform"');
    grant.endpoint = normalizeEndpoint(endpoint);
  }
  return grant;
}

function parseTarget(jobs: unknown): JobTarget {
  if (jobs === undefined || jobs === '*') return '*';
  if (typeof jobs === 'object' && jobs !== null && !Array.isArray(jobs)) {
    const keys = Object.keys(jobs);
    const { family, job } = jobs as Record<string, unknown>;
    if (keys.length === 1 && typeof family === 'string' && NAME.test(family)) return { family };
    if (keys.length === 1 && typeof job === 'string' && JOB.test(job)) return { job };
  }
  throw new Error(
    `grant jobs must be "*", {"family": "<name>"} or {"job": "<name>@<version>"} (got ${JSON.stringify(jobs)})`,
  );
}

/** Two grants are the same when scope, target and endpoint are. */
export function sameGrant(a: Grant, b: Grant): boolean {
  return (
    a.scope === b.scope && a.endpoint === b.endpoint && JSON.stringify(a.jobs ?? '*') === JSON.stringify(b.jobs ?? '*')
  );
}
