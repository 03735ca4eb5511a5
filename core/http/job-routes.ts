import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KernelError } from '../errors/kernel-error.js';
import type { DeployInput } from '../jobs/deploy-check.js';
import type { JobView } from '../jobs/jobs-api.js';
import { actorOf } from './admin-auth.js';
import type { KernelApi } from './kernel-api.js';
import { responses } from './schemas.js';

const BASE = '/api/v1/jobs';
const TAGS = ['jobs'];
const jobParams = {
  type: 'object',
  required: ['name', 'version'],
  properties: {
    name: { type: 'string', maxLength: 63 },
    version: { type: 'string', maxLength: 256, description: 'A version, or an alias: latest, 1.x, 1.2.x' },
  },
} as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

type JobParams = { Params: { name: string; version: string } };

const HOW =
  'send multipart/form-data with a `manifest` field (JSON), an optional `secretEnv` field (JSON object) and a `source` file (the job directory as a ZIP); `spindle deploy <dir>` does this';

function parseJsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new KernelError(
      'KRN_ERR_JOB_SOURCE_INVALID',
      `the ${name} field is not JSON (${(error as Error).message}); ${HOW}`,
    );
  }
}

/** The deploy request's parts: manifest, secrets and the source ZIP. */
async function readDeploy(request: FastifyRequest): Promise<Omit<DeployInput, 'actor' | 'principal' | 'force'>> {
  if (!request.isMultipart())
    throw new KernelError('KRN_ERR_JOB_SOURCE_INVALID', `the request is not multipart; ${HOW}`);
  let manifest: unknown;
  let secretEnv: Record<string, string> = {};
  let source: Buffer | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'file') source = await part.toBuffer();
    else if (part.fieldname === 'manifest') manifest = parseJsonField('manifest', String(part.value));
    else if (part.fieldname === 'secretEnv')
      secretEnv = parseJsonField('secretEnv', String(part.value)) as Record<string, string>;
  }
  if (manifest === undefined || !source)
    throw new KernelError(
      'KRN_ERR_JOB_SOURCE_INVALID',
      `the ${manifest === undefined ? 'manifest field' : 'source file'} is missing; ${HOW}`,
    );
  const badSecret = Object.entries(secretEnv ?? {}).find(([, v]) => typeof v !== 'string');
  if (typeof secretEnv !== 'object' || secretEnv === null || badSecret) {
    throw new KernelError(
      'KRN_ERR_JOB_SOURCE_INVALID',
      `secretEnv must be an object of strings${badSecret ? ` (${badSecret[0]} is not)` : ''}`,
    );
  }
  return { manifest, secretEnv, source };
}

/** The jobs of `list` the caller may `read_job` (asked once per job family). */
async function readable(kernel: KernelApi, request: FastifyRequest, list: JobView[]): Promise<JobView[]> {
  const principal = request.principal!;
  const allowed = new Map<string, boolean>();
  const out: JobView[] = [];
  for (const job of list) {
    let ok = allowed.get(job.name);
    if (ok === undefined) {
      ok = await kernel.authorize(principal, 'read_job', { kind: 'job', name: job.name, family: job.name }).then(
        () => true,
        (error: KernelError) => {
          if (error.code !== 'KRN_ERR_FORBIDDEN') throw error;
          return false;
        },
      );
      allowed.set(job.name, ok);
    }
    if (ok) out.push(job);
  }
  return out;
}

/** Jobs: deploy, list, get, delete, redeploy, logs; the queue and queue settings. */
export function registerJobRoutes(app: FastifyInstance, kernel: KernelApi): void {
  const { jobs } = kernel;
  app.post<{ Querystring: { force?: boolean } }>(
    BASE,
    {
      schema: {
        summary: 'Deploy a job (multipart: manifest, secretEnv, source ZIP)',
        tags: TAGS,
        querystring: {
          type: 'object',
          properties: {
            force: {
              type: 'boolean',
              default: false,
              description: 'Replace a deployed job of the same name and version',
            },
          },
        },
        response: responses({ 201: anyObject }),
      },
    },
    async (request, reply) => {
      const input = await readDeploy(request);
      // Known only now the body is read: which job, and whether its family is new.
      const { name, version } = (input.manifest ?? {}) as { name?: unknown; version?: unknown };
      if (typeof name === 'string') {
        const family = (await jobs.list({ name })).length > 0;
        await kernel.authorize(request.principal!, family ? 'deploy_job' : 'deploy_new_family', {
          kind: 'job',
          name,
          family: name,
          ...(typeof version === 'string' ? { version } : {}),
        });
      }
      return reply.code(201).send(
        await jobs.deploy({
          ...input,
          actor: actorOf(request),
          principal: request.principal!,
          force: request.query.force === true,
        }),
      );
    },
  );
  app.get<{ Querystring: { state?: string; queue?: string; owner?: string } }>(
    BASE,
    {
      schema: {
        summary: 'List jobs',
        tags: TAGS,
        querystring: {
          type: 'object',
          properties: { state: { type: 'string' }, queue: { type: 'string' }, owner: { type: 'string' } },
        },
      },
    },
    async (request) => ({
      jobs: await readable(kernel, request, await jobs.list(request.query as Record<string, string>)),
    }),
  );
  app.get<{ Params: { name: string } }>(
    `${BASE}/:name`,
    {
      schema: {
        summary: 'Every deployed version of a job',
        tags: TAGS,
        params: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } },
      },
    },
    async (request) => {
      const found = await jobs.list({ name: request.params.name });
      if (found.length === 0)
        throw new KernelError('KRN_ERR_JOB_NOT_FOUND', `no job named ${request.params.name} is deployed`, {
          job: request.params.name,
        });
      return { jobs: found };
    },
  );
  app.get<JobParams>(
    `${BASE}/:name/:version`,
    { schema: { summary: 'One job version, with its state history', tags: TAGS, params: jobParams } },
    async (request) => jobs.get(request.params.name, request.params.version),
  );
  app.delete<JobParams>(
    `${BASE}/:name/:version`,
    { schema: { summary: 'Stop and delete a job version', tags: TAGS, params: jobParams } },
    async (request) => jobs.delete(request.params.name, request.params.version, actorOf(request)),
  );
  app.post<JobParams>(
    `${BASE}/:name/:version/redeploy`,
    { schema: { summary: 'Stop and queue a job version again', tags: TAGS, params: jobParams } },
    async (request) => jobs.redeploy(request.params.name, request.params.version, actorOf(request), request.principal!),
  );
  app.get<JobParams & { Querystring: { offset?: number; limit?: number } }>(
    `${BASE}/:name/:version/logs`,
    {
      schema: {
        summary: "Read a job's log from a byte offset (negative: the last bytes)",
        tags: TAGS,
        params: jobParams,
        querystring: {
          type: 'object',
          properties: {
            offset: { type: 'integer', default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1048576 },
          },
        },
      },
    },
    async (request) =>
      jobs.logs(request.params.name, request.params.version, request.query.offset ?? 0, request.query.limit),
  );
  registerQueueRoutes(app, kernel);
}

function registerQueueRoutes(app: FastifyInstance, kernel: KernelApi): void {
  const { jobs } = kernel;
  app.get<{ Querystring: { queue?: string } }>(
    '/api/v1/queue',
    {
      schema: {
        summary: 'Pending jobs, oldest first, each with why it waits',
        tags: ['queues'],
        querystring: { type: 'object', properties: { queue: { type: 'string' } } },
      },
    },
    async (request) => ({ jobs: await readable(kernel, request, await jobs.pending(request.query.queue)) }),
  );
  app.get(
    '/api/v1/queues',
    { schema: { summary: 'Queues and the scheduler each uses', tags: ['queues'] } },
    async () => ({ queues: await jobs.queues() }),
  );
  app.put<{
    Params: { name: string };
    Body: { scheduler: string; maxJobsPerOwner?: number; quotaPerOwner?: Record<string, number> };
  }>(
    '/api/v1/queues/:name',
    {
      schema: {
        summary: "Set a queue's scheduler and per-owner limits",
        tags: ['queues'],
        params: {
          type: 'object',
          properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', maxLength: 63 } },
        },
        body: {
          type: 'object',
          required: ['scheduler'],
          additionalProperties: false,
          properties: {
            scheduler: { type: 'string', minLength: 1 },
            maxJobsPerOwner: { type: 'integer', minimum: 0 },
            quotaPerOwner: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
          },
        },
      },
    },
    async (request) => jobs.putQueue({ ...request.body, name: request.params.name }, actorOf(request)),
  );
}
