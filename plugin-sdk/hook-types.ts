/**
 * Payloads of the kernel hooks. Every value crossing a hook is plain JSON-serialisable data, so
 * the same contract holds for plugins that run in a child process (`isolation: "process"`).
 */

/** The parts of an HTTP request an auth plugin may look at. Header names are lower-case. */
export interface RequestInfo {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  cookies: Record<string, string>;
  ip: string;
}

/** Who is calling. `provider` names the plugin (or `kernel`) that vouched for the principal. */
export interface Principal {
  id: string;
  name: string;
  kind: 'user' | 'service' | 'admin';
  provider: string;
  groups?: string[];
  /** Free-form claims a provider wants `auth.authorize` taps to see (scopes, roles, tenant). */
  claims?: Record<string, unknown>;
}

/** What `auth.preAuth` / `auth.authenticate` taps return: a principal, a rejection, or nothing (pass). */
export type AuthOutcome = { principal: Principal } | { reject: string };

/** What is being done to what. `kind` + optional identifiers of the resource. */
export interface ResourceRef {
  kind: 'job' | 'plugin' | 'volume' | 'user' | 'queue' | 'system';
  name?: string;
  version?: string;
  family?: string;
  endpoint?: string;
}

export interface AuthorizeRequest {
  principal: Principal;
  /** e.g. `read_job`, `deploy_job`, `manage_plugins`. */
  action: string;
  resource: ResourceRef;
}

/** What an `auth.authorize` tap returns: allow, deny (with a reason), or nothing (no opinion). */
export type AuthorizeDecision = { decision: 'allow' } | { decision: 'deny'; reason: string };

export interface PostAuthenticateEvent {
  principal: Principal;
  request: RequestInfo;
}

export interface SignupEvent {
  principal: Principal;
  acceptLanguage?: string;
}

/** A job manifest (`job.yaml`) as the kernel passes it to hooks. */
export interface JobManifestData {
  name: string;
  version: string;
  owner?: string;
  jobtype: string;
  infrastructure?: string;
  queue?: string;
  kind?: 'service' | 'batch';
  replicas?: number;
  resources?: Record<string, number>;
  /** Limits the target enforces where it can; they take no part in scheduling. */
  limits?: { processes?: number };
  env?: Record<string, string>;
  volumes?: { name: string; mountPath: string; readOnly?: boolean }[];
  jobtypeExtra?: Record<string, unknown>;
  labels?: Record<string, string>;
}

/** A rejection with a reason a person can act on; returned by admission and filter taps. */
export interface Rejection {
  reject: string;
}

export interface AdmitRequest {
  queue: string;
  job: {
    id: string;
    name: string;
    version: string;
    owner: string;
    resources: Record<string, number>;
    /** The infrastructure target it will run on. */
    target: string;
  };
  /** Who deploys it. */
  principal: Pick<Principal, 'id' | 'name' | 'kind' | 'provider'>;
}

/** An agent: a place jobs run, with capacity as named slots (cpu, memory, gpu, …). */
export interface AgentInfo {
  id: string;
  target: string;
  capacity: Record<string, number>;
  allocated: Record<string, number>;
  labels?: Record<string, string>;
}

export interface FilterRequest {
  job: AdmitRequest['job'];
  agent: AgentInfo;
}

/** `plugins.inUse`: each tap appends who still uses `name@version` (jobs, volumes, …). */
export interface InUseQuery {
  name: string;
  version: string;
  users: string[];
}

/** An event fired on the `events.*` hooks. `type` is `<family>.<what>`, e.g. `plugin.installed`. */
export interface KernelEvent {
  type: string;
  at: string;
  actor?: string;
  data: Record<string, unknown>;
}
