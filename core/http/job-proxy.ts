import http from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestTarget } from '../../plugin-sdk/targets/replica-address.js';
import { KernelError } from '../errors/kernel-error.js';
import type { JobsApi, JobView } from '../jobs/jobs-api.js';
import { CREDENTIAL_HEADERS } from './admin-auth.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  ...CREDENTIAL_HEADERS,
]);

type ProxyRequest = FastifyRequest<{ Params: { name: string; version: string; '*'?: string } }>;

/**
 * The job proxy: `/pub/job/<name>/<version-or-alias>/<path>` → one of the job's replicas, round
 * robin. Bodies stream through untouched; credentials stay in the kernel; the request id goes to
 * the job and comes back. A job that is not RUNNING gets a JSON 503 saying its state and why.
 */
export async function registerJobProxy(
  app: FastifyInstance,
  jobs: JobsApi,
  options: { timeoutMs: number },
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const turns = new Map<string, number>();
  const pick = (job: JobView) => {
    const replicas = job.runtime.replicas;
    const turn = turns.get(job.id) ?? 0;
    turns.set(job.id, turn + 1);
    return replicas[turn % replicas.length]!;
  };
  await app.register(async (scope) => {
    // Keep the body as a stream: the proxy passes it on, it never parses it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const handler = (request: ProxyRequest, reply: FastifyReply) =>
      forward(request, reply, jobs, pick, agent, options.timeoutMs);
    const schema = { summary: 'Call a job (proxied to one of its replicas)', tags: ['job proxy'] };
    scope.all('/pub/job/:name/:version', { schema }, handler);
    scope.all('/pub/job/:name/:version/*', { schema }, handler);
  });
}

async function forward(
  request: ProxyRequest,
  reply: FastifyReply,
  jobs: JobsApi,
  pick: (job: JobView) => { address: string },
  agent: http.Agent,
  timeoutMs: number,
): Promise<FastifyReply> {
  const { name, version } = request.params;
  const job = await jobs.resolve(name, version, true);
  const subject = `${job.name}@${job.version}`;
  if (job.state !== 'RUNNING' || job.runtime.replicas.length === 0) {
    throw new KernelError('KRN_ERR_JOB_NOT_RUNNING', `${subject} is ${job.state}: ${job.reason}`, {
      job: subject,
      details: { state: job.state, reason: job.reason },
    });
  }
  const upstream = requestTarget(pick(job).address);
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
  const headers: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(request.headers))
    if (!HOP_BY_HOP.has(key) && value !== undefined) headers[key] = value;
  headers['x-request-id'] = request.id;
  headers['x-forwarded-for'] = request.ip;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const outgoing = http.request(
      {
        ...(upstream.socketPath
          ? { socketPath: upstream.socketPath }
          : { hostname: upstream.hostname, port: upstream.port }),
        method: request.method,
        path: `/${request.params['*'] ?? ''}${query}`,
        headers,
        agent,
        timeout: timeoutMs,
      },
      resolve,
    );
    const unreachable = (why: string) =>
      reject(
        new KernelError('KRN_ERR_JOB_UNREACHABLE', `${subject} did not answer at ${upstream.label}: ${why}`, {
          job: subject,
        }),
      );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', (error) => unreachable(error.message));
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') outgoing.end();
    else if (isSmall(request.headers['content-length']))
      void collect(body).then(
        (data) => outgoing.end(data),
        (error: Error) => outgoing.destroy(error),
      );
    else body.pipe(outgoing);
  });
  reply.code(response.statusCode ?? 502);
  for (const [key, value] of Object.entries(response.headers))
    if (!HOP_BY_HOP.has(key) && value !== undefined) reply.header(key, value);
  reply.header('x-request-id', request.id);
  // Small answers go out in one write with the headers; large ones stream.
  return reply.send(isSmall(response.headers['content-length']) ? await collect(response) : response);
}

const SMALL_BODY = 64 * 1024;

function isSmall(length: string | string[] | undefined): boolean {
  return typeof length === 'string' && Number(length) <= SMALL_BODY;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
