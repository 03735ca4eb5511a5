/**
 * A STAND-IN for the Kubernetes API server, for tests on machines without a cluster. It is NOT
 * Kubernetes: a small `node:http` server on 127.0.0.1 that speaks just enough of the REST API for
 * @kubernetes/client-node and the infra-k8s target — core v1 namespaces, nodes, secrets,
 * services, pods (+ `pods/<name>/log`), events; apps/v1 deployments; batch/v1 jobs — with create
 * (409 AlreadyExists), get, list (`labelSelector` equality), replace (PUT) and delete (404
 * NotFound), errors as `Status` objects.
 *
 * It checks what is applied the way the API server would refuse it (bearer token, namespace
 * exists, DNS names, label syntax, a Deployment selector that matches its template, a Job's
 * restartPolicy, base64 Secret data, a current resourceVersion on replace), and fakes the
 * controllers just enough: a Deployment gets pods `<name>-<i>` and `readyReplicas = replicas`
 * after `readyDelayMs`; a Job gets pods and `succeeded = completions`, or a Failed condition when
 * its pod's env or Secret has `SPINDLE_TEST_FAIL=1`; a pod's log is a line naming the pod. No
 * image is pulled and no container runs, so nothing answers on a Service or a port-forward: what
 * only a real cluster shows is covered by `npm run test:k8s` (tests/k8s with SPINDLE_K8S_REAL=1).
 *
 * Every request is recorded (`requests`) and the objects are kept (`object`, `objects`), so tests
 * can assert the applied specs. `kubeconfigPath` is a kubeconfig file pointing at it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Objects are free-form JSON here, as on the wire.
// biome-ignore lint/suspicious/noExplicitAny: the stand-in reads and writes arbitrary Kubernetes objects
type Obj = Record<string, any>;

export type Resource = 'namespaces' | 'nodes' | 'secrets' | 'services' | 'pods' | 'events' | 'deployments' | 'jobs';

const KINDS: Record<Resource, { kind: string; apiVersion: string; namespaced: boolean }> = {
  namespaces: { kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  nodes: { kind: 'Node', apiVersion: 'v1', namespaced: false },
  secrets: { kind: 'Secret', apiVersion: 'v1', namespaced: true },
  services: { kind: 'Service', apiVersion: 'v1', namespaced: true },
  pods: { kind: 'Pod', apiVersion: 'v1', namespaced: true },
  events: { kind: 'Event', apiVersion: 'v1', namespaced: true },
  deployments: { kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
  jobs: { kind: 'Job', apiVersion: 'batch/v1', namespaced: true },
};

export interface StandInNode {
  name: string;
  /** Allocatable quantities, e.g. `{cpu: '4', memory: '8Gi'}`. */
  allocatable: Record<string, string>;
}

export interface StandInOptions {
  nodes?: StandInNode[];
  /** How long the fake controllers take to make pods ready or finish a Job (default 50 ms). */
  readyDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: Obj;
  status: number;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export class K8sStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly token = randomBytes(12).toString('hex');
  readonly kubeconfigPath: string;
  url = '';
  /** While true, Deployments never become ready (a deploy that times out). */
  holdReadiness = false;
  private readonly store = new Map<string, Obj>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'k8s-stand-in-'));
  private version = 1;
  private readonly server: Server;
  private readonly readyDelayMs: number;

  private constructor(options: StandInOptions) {
    this.kubeconfigPath = path.join(this.dir, 'kubeconfig.yaml');
    this.readyDelayMs = options.readyDelayMs ?? 50;
    this.server = createServer((req, res) => void this.handle(req, res));
    const nodes = options.nodes ?? [{ name: 'stand-in-node', allocatable: { cpu: '4', memory: '8Gi', pods: '110' } }];
    for (const node of nodes) {
      this.put('nodes', undefined, {
        metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name } },
        spec: {},
        status: {
          allocatable: node.allocatable,
          capacity: node.allocatable,
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v0.0.0-stand-in', architecture: 'amd64' },
        },
      });
    }
    this.put('namespaces', undefined, { metadata: { name: 'default' }, status: { phase: 'Active' } });
  }

  static async start(options: StandInOptions = {}): Promise<K8sStandIn> {
    const standIn = new K8sStandIn(options);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
    writeFileSync(standIn.kubeconfigPath, standIn.kubeconfig());
    return standIn;
  }

  /** A kubeconfig for this stand-in: plain HTTP on loopback (hence insecure-skip-tls-verify) and a token. */
  kubeconfig(namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: stand-in',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: stand-in',
      '  user:',
      `    token: ${this.token}`,
      'contexts:',
      '- name: stand-in',
      '  context:',
      '    cluster: stand-in',
      '    user: stand-in',
      `    namespace: ${namespace}`,
      'current-context: stand-in',
      '',
    ].join('\n');
  }

  object(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    const found = this.store.get(key(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  objects(resource: Resource, namespace?: string): Obj[] {
    const prefix = namespace === undefined ? `${resource}/` : `${resource}/${namespace}/`;
    return [...this.store.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o));
  }

  /** What the fake ReplicaSet controller would see if `ready` of a Deployment's pods were ready. */
  setReady(namespace: string, deployment: string, ready: number): void {
    const object = this.store.get(key('deployments', namespace, deployment));
    if (!object) throw new Error(`no deployment ${namespace}/${deployment}`);
    object.status = { ...object.status, readyReplicas: ready, availableReplicas: ready };
    for (const [i, pod] of this.podsOf(namespace, deployment).entries()) setPodReady(pod, i < ready);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    this.requests.push(recorded);
    let status = 200;
    let body: unknown;
    let text: string | undefined;
    try {
      const raw = await readBody(req);
      if (raw) {
        try {
          recorded.body = JSON.parse(raw) as Obj;
        } catch {
          throw new ApiError(400, 'BadRequest', 'the body is not JSON');
        }
      }
      if (req.headers.authorization !== `Bearer ${this.token}`) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      const result = this.route(recorded);
      if (typeof result === 'string') text = result;
      else [status, body] = result;
    } catch (error) {
      // A bug of the stand-in answers 500, so the test that met it fails with the message.
      const known =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalError', `stand-in error: ${(error as Error).stack ?? String(error)}`);
      status = known.code;
      body = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: known.message,
        reason: known.reason,
        code: known.code,
      };
    }
    recorded.status = status;
    res.writeHead(status, { 'content-type': text !== undefined ? 'text/plain' : 'application/json' });
    res.end(text ?? JSON.stringify(body));
  }

  /** `[status, body]`, or a string for text/plain (pod logs). */
  private route(request: RecordedRequest): [number, Obj] | string {
    const parts = request.path.split('/').filter(Boolean);
    // /api/v1/... or /apis/<group>/<version>/...
    const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
    if (!rest)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${request.path})`);
    let namespace: string | undefined;
    let tail = rest;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      tail = rest.slice(2);
    }
    const resource = tail[0] as Resource;
    const name = tail[1];
    const info = KINDS[resource];
    if (
      !info ||
      (info.namespaced && namespace === undefined) ||
      (!info.namespaced && namespace !== undefined && resource !== 'namespaces')
    ) {
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${request.path})`);
    }
    if (resource === 'namespaces' && rest.length === 2) return this.byName(request, 'namespaces', undefined, rest[1]!);
    if (tail[2] === 'log' && resource === 'pods' && request.method === 'GET') return this.podLog(namespace!, name!);
    if (tail.length > 2) throw new ApiError(404, 'NotFound', `the stand-in does not serve ${request.path}`);
    if (info.namespaced && !this.store.has(key('namespaces', undefined, namespace!))) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`);
    }
    if (name) return this.byName(request, resource, namespace, name);
    if (request.method === 'GET') return [200, this.list(resource, namespace, request.query.labelSelector)];
    if (request.method === 'POST') return [201, this.create(resource, namespace, request.body ?? {})];
    throw new ApiError(405, 'MethodNotAllowed', `${request.method} is not allowed on ${request.path}`);
  }

  private byName(
    request: RecordedRequest,
    resource: Resource,
    namespace: string | undefined,
    name: string,
  ): [number, Obj] {
    const existing = this.store.get(key(resource, namespace, name));
    const notFound = () => new ApiError(404, 'NotFound', `${resource} "${name}" not found`);
    if (request.method === 'GET') {
      if (!existing) throw notFound();
      return [200, existing];
    }
    if (request.method === 'PUT') {
      if (!existing) throw notFound();
      return [200, this.replace(resource, namespace, name, existing, request.body ?? {})];
    }
    if (request.method === 'DELETE') {
      if (!existing) throw notFound();
      this.remove(resource, namespace, name, request.query.propagationPolicy ?? request.body?.propagationPolicy);
      return [
        200,
        { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource } },
      ];
    }
    throw new ApiError(405, 'MethodNotAllowed', `${request.method} is not allowed on ${request.path}`);
  }

  private list(resource: Resource, namespace: string | undefined, selector: string | undefined): Obj {
    const match = selectorMatcher(selector);
    // Items of a real list carry no kind or apiVersion.
    const items = this.objects(resource, namespace)
      .filter((o) => match(o.metadata?.labels ?? {}))
      .map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest);
    return {
      kind: `${KINDS[resource].kind}List`,
      apiVersion: KINDS[resource].apiVersion,
      metadata: { resourceVersion: String(this.version) },
      items,
    };
  }

  private create(resource: Resource, namespace: string | undefined, body: Obj): Obj {
    this.check(resource, namespace, body);
    const name = body.metadata.name as string;
    if (this.store.has(key(resource, namespace, name)))
      throw new ApiError(409, 'AlreadyExists', `${resource} "${name}" already exists`);
    const object = this.put(resource, namespace, body);
    this.reconcile(resource, object);
    return object;
  }

  private replace(resource: Resource, namespace: string | undefined, name: string, existing: Obj, body: Obj): Obj {
    this.check(resource, namespace, body);
    if (body.metadata.name !== name)
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${body.metadata.name}) does not match the name in the URL (${name})`,
      );
    const version = body.metadata.resourceVersion;
    if (version !== undefined && version !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const object = this.put(resource, namespace, {
      ...body,
      metadata: {
        ...body.metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
      },
      status: existing.status,
    });
    this.reconcile(resource, object);
    return object;
  }

  private remove(
    resource: Resource,
    namespace: string | undefined,
    name: string,
    propagation: string | undefined,
  ): void {
    const object = this.store.get(key(resource, namespace, name))!;
    this.store.delete(key(resource, namespace, name));
    // A Job deleted through the API orphans its pods unless asked otherwise; a Deployment does not.
    const cascade =
      resource === 'deployments'
        ? propagation !== 'Orphan'
        : resource === 'jobs'
          ? propagation === 'Background' || propagation === 'Foreground'
          : false;
    if (cascade)
      for (const pod of this.podsOf(namespace!, name)) this.store.delete(key('pods', namespace, pod.metadata.name));
    if (resource === 'namespaces')
      for (const k of [...this.store.keys()]) if (k.split('/')[1] === object.metadata.name) this.store.delete(k);
  }

  /** Store an object with the metadata the server sets. */
  private put(resource: Resource, namespace: string | undefined, body: Obj): Obj {
    const { kind, apiVersion, namespaced } = KINDS[resource];
    const object: Obj = structuredClone({ ...body, kind, apiVersion });
    object.metadata = {
      ...object.metadata,
      ...(namespaced ? { namespace } : {}),
      uid: object.metadata.uid ?? randomUUID(),
      resourceVersion: String(++this.version),
      creationTimestamp: object.metadata.creationTimestamp ?? new Date().toISOString(),
    };
    this.store.set(key(resource, namespace, object.metadata.name), object);
    return object;
  }

  /** What the API server's validation would refuse (the parts infra-k8s could get wrong). */
  private check(resource: Resource, namespace: string | undefined, body: Obj): void {
    const { kind, apiVersion } = KINDS[resource];
    const invalid = (message: string) =>
      new ApiError(422, 'Invalid', `${kind} "${body.metadata?.name ?? ''}" is invalid: ${message}`);
    if (body.kind !== undefined && body.kind !== kind)
      throw new ApiError(400, 'BadRequest', `kind ${body.kind} sent to the ${resource} endpoint`);
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion)
      throw new ApiError(400, 'BadRequest', `apiVersion ${body.apiVersion} sent to the ${apiVersion} endpoint`);
    const name = body.metadata?.name;
    if (typeof name !== 'string') throw invalid('metadata.name: Required value');
    const nameRule = resource === 'services' || resource === 'namespaces' ? DNS_LABEL : DNS_SUBDOMAIN;
    if (!nameRule.test(name) || name.length > (resource === 'services' || resource === 'namespaces' ? 63 : 253))
      throw invalid(`metadata.name: Invalid value: "${name}"`);
    if (resource === 'services' && !/^[a-z]/.test(name))
      throw invalid(`metadata.name: Invalid value: "${name}": a DNS-1035 label must start with a letter`);
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace)
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    checkLabels(body.metadata.labels, 'metadata.labels', invalid);
    if (resource === 'secrets') {
      for (const [k, v] of Object.entries(body.data ?? {})) {
        if (typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v)
          throw new ApiError(400, 'BadRequest', `data[${k}]: illegal base64 data`);
      }
    }
    if (resource === 'deployments' || resource === 'jobs') {
      const template = body.spec?.template;
      checkLabels(template?.metadata?.labels, 'spec.template.metadata.labels', invalid);
      const containers = template?.spec?.containers;
      if (!Array.isArray(containers) || containers.length === 0)
        throw invalid('spec.template.spec.containers: Required value');
      for (const c of containers)
        if (!c.name || !c.image) throw invalid('spec.template.spec.containers: name and image are required');
      if (resource === 'deployments') {
        const wanted = body.spec.selector?.matchLabels ?? {};
        const labels = template.metadata?.labels ?? {};
        if (Object.keys(wanted).length === 0 || !Object.entries(wanted).every(([k, v]) => labels[k] === v))
          throw invalid('spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`');
      } else if (!['Never', 'OnFailure'].includes(template.spec.restartPolicy)) {
        throw invalid(
          `spec.template.spec.restartPolicy: Unsupported value: "${template.spec.restartPolicy}": supported values: "OnFailure", "Never"`,
        );
      }
    }
  }

  // --- the fake controllers --------------------------------------------------------------------

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.readyDelayMs);
    this.timers.add(timer);
  }

  private reconcile(resource: Resource, object: Obj): void {
    const { namespace, name } = object.metadata as { namespace: string; name: string };
    if (resource === 'deployments') this.later(() => this.reconcileDeployment(namespace, name));
    if (resource === 'jobs') this.later(() => this.reconcileJob(namespace, name));
  }

  private reconcileDeployment(namespace: string, name: string): void {
    const deployment = this.store.get(key('deployments', namespace, name));
    if (!deployment) return;
    const replicas = deployment.spec.replicas ?? 1;
    for (const pod of this.podsOf(namespace, name)) this.store.delete(key('pods', namespace, pod.metadata.name));
    const ready = this.holdReadiness ? 0 : replicas;
    for (let i = 0; i < replicas; i++) this.makePod(deployment, `${name}-${i}`, i < ready);
    deployment.status = {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
    };
  }

  private reconcileJob(namespace: string, name: string): void {
    const job = this.store.get(key('jobs', namespace, name));
    if (!job || job.status?.conditions) return;
    const completions = job.spec.completions ?? 1;
    const fails = this.failsOnPurpose(namespace, job.spec.template.spec);
    for (let i = 0; i < completions; i++) this.makePod(job, `${name}-${i}`, true);
    job.status = { active: completions, startTime: new Date().toISOString() };
    this.later(() => {
      if (!this.store.has(key('jobs', namespace, name))) return;
      for (const pod of this.podsOf(namespace, name)) finishPod(pod, fails ? 1 : 0);
      const now = new Date().toISOString();
      job.status = fails
        ? {
            failed: (job.spec.backoffLimit ?? 6) + 1,
            startTime: job.status.startTime,
            conditions: [
              {
                type: 'Failed',
                status: 'True',
                reason: 'BackoffLimitExceeded',
                message: 'Job has reached the specified backoff limit',
                lastTransitionTime: now,
              },
            ],
          }
        : {
            succeeded: completions,
            startTime: job.status.startTime,
            completionTime: now,
            conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now }],
          };
    });
  }

  /** `SPINDLE_TEST_FAIL=1` in the pod's literal env or in a Secret it takes env from. */
  private failsOnPurpose(namespace: string, podSpec: Obj): boolean {
    for (const container of podSpec.containers ?? []) {
      if ((container.env ?? []).some((e: Obj) => e.name === 'SPINDLE_TEST_FAIL' && e.value === '1')) return true;
      for (const from of container.envFrom ?? []) {
        const secret = from.secretRef?.name
          ? this.store.get(key('secrets', namespace, from.secretRef.name))
          : undefined;
        const value = secret?.data?.SPINDLE_TEST_FAIL;
        if (value !== undefined && Buffer.from(value, 'base64').toString() === '1') return true;
      }
    }
    return false;
  }

  private makePod(owner: Obj, name: string, ready: boolean): void {
    const namespace = owner.metadata.namespace as string;
    const template = owner.spec.template;
    const wanted =
      template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.find(
        (f: Obj) => f.key === 'metadata.name',
      )?.values?.[0];
    const nodes = this.objects('nodes').map((n) => n.metadata.name as string);
    const node = wanted === undefined ? nodes[0] : nodes.includes(wanted) ? wanted : undefined;
    const labels = {
      ...template.metadata?.labels,
      ...(owner.kind === 'Job' ? { 'job-name': owner.metadata.name } : {}),
    };
    const pod = this.put('pods', namespace, {
      metadata: {
        name,
        labels,
        ownerReferences: [
          {
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            name: owner.metadata.name,
            uid: owner.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { ...structuredClone(template.spec), ...(node ? { nodeName: node } : {}) },
      status: { phase: node ? 'Running' : 'Pending' },
    });
    if (!node) {
      pod.status.conditions = [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: `0/${nodes.length} nodes are available: didn't match Pod's node affinity/selector`,
        },
      ];
      return;
    }
    setPodReady(pod, ready);
    this.put('events', namespace, {
      metadata: { name: `${name}.${randomBytes(4).toString('hex')}` },
      involvedObject: { kind: 'Pod', name, namespace },
      reason: 'Scheduled',
      message: `Successfully assigned ${namespace}/${name} to ${node}`,
      type: 'Normal',
      lastTimestamp: new Date().toISOString(),
    });
  }

  private podsOf(namespace: string, owner: string): Obj[] {
    return [...this.store.entries()]
      .filter(([k, o]) => k.startsWith(`pods/${namespace}/`) && o.metadata.ownerReferences?.[0]?.name === owner)
      .map(([, o]) => o);
  }

  private podLog(namespace: string, name: string): string {
    const pod = this.store.get(key('pods', namespace, name));
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`);
    if (pod.status.phase === 'Pending')
      throw new ApiError(400, 'BadRequest', `container "job" in pod "${name}" is waiting to start: ContainerCreating`);
    return `stand-in pod ${name} started on node ${pod.spec.nodeName}\n`;
  }
}

function key(resource: Resource, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function checkLabels(labels: unknown, where: string, invalid: (message: string) => Error): void {
  for (const [k, v] of Object.entries((labels ?? {}) as Record<string, unknown>)) {
    if (!LABEL_KEY.test(k)) throw invalid(`${where}: Invalid value: "${k}": not a label key`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      throw invalid(`${where}: Invalid value: "${String(v)}": not a label value`);
  }
}

/** Equality-based selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, joined by commas. */
function selectorMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  const terms = (selector ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return (labels) =>
    terms.every((term) => {
      const ne = term.split('!=');
      if (ne.length === 2) return labels[ne[0]!] !== ne[1];
      const eq = term.split(/==?/);
      if (eq.length === 2) return labels[eq[0]!] === eq[1];
      return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
    });
}

function setPodReady(pod: Obj, ready: boolean): void {
  pod.status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
  pod.status.containerStatuses = [
    {
      name: 'job',
      image: pod.spec.containers[0].image,
      imageID: '',
      ready,
      restartCount: ready ? 0 : 1,
      started: true,
      state: ready
        ? { running: {} }
        : { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } },
    },
  ];
}

function finishPod(pod: Obj, exitCode: number): void {
  pod.status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
  pod.status.conditions = [{ type: 'Ready', status: 'False' }];
  pod.status.containerStatuses = [
    {
      name: 'job',
      image: pod.spec.containers[0].image,
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
    },
  ];
}
