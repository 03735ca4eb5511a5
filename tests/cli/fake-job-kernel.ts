/** A tiny fake kernel on node:http for the job commands: scripted job states, logs, the job proxy. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobView } from '../../core/jobs/jobs-api.js';
import type { JobEvent, JobState } from '../../core/state/job-record.js';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Answer {
  status: number;
  json?: unknown;
  text?: string;
  type?: string;
}

/** What each poll of a job moves it to: one step per GET; a step may pass several states. */
const SCRIPTS: Record<string, { to: JobState; reason: string }[][]> = {
  adder: [
    [{ to: 'PENDING', reason: 'no agent has cpu 64 free; failed 1 of 3 passes' }],
    [{ to: 'PENDING', reason: 'no agent has cpu 64 free; failed 2 of 3 passes' }],
    [{ to: 'SCHEDULED', reason: 'scheduled on local-1' }],
    [
      { to: 'PREPARING', reason: 'preparing with job type python3:1.2.0 on local' },
      { to: 'RUNNING', reason: 'healthy' },
    ],
  ],
  broken: [
    [{ to: 'SCHEDULED', reason: 'scheduled on local-1' }],
    [{ to: 'PREPARING', reason: 'preparing' }],
    [{ to: 'FAILED', reason: 'replica 0 exited with code 1: ModuleNotFoundError: numpy' }],
  ],
};

/** What the fake kernel saw and holds; the tests read and reset it. */
export const fake = {
  seen: [] as Seen[],
  jobs: new Map<string, { job: JobView; events: JobEvent[]; step: number }>(),
  log: '',
};

function makeJob(manifest: { name: string; version: string; kind?: 'service' | 'batch' }, n: number): JobView {
  const now = new Date(Date.now() - 90_000).toISOString();
  return {
    id: `job-${n}`,
    seq: n,
    name: manifest.name,
    version: manifest.version,
    owner: 'alice',
    queue: 'default',
    target: 'local',
    jobtype: 'python3:1.x',
    jobtypeResolved: 'python3:1.2.0',
    kind: manifest.kind ?? 'service',
    replicas: 1,
    resources: { cpu: 0.1, memory: 64 },
    manifest: manifest as JobView['manifest'],
    state: 'PENDING',
    reason: 'queued',
    attempts: 0,
    agentId: null,
    runtime: { replicas: [] },
    notice: null,
    submittedAt: now,
    updatedAt: now,
  };
}

/** A step to the state the job is in changes only its reason, as a scheduler pass does: no event. */
function move(entry: { job: JobView; events: JobEvent[] }, to: JobState, reason: string): void {
  const at = new Date().toISOString();
  if (to === entry.job.state) return void Object.assign(entry.job, { reason });
  entry.events.push({ jobId: entry.job.id, at, from: entry.job.state, to, reason });
  Object.assign(entry.job, { state: to, reason, updatedAt: at });
  if (to === 'SCHEDULED') entry.job.agentId = 'local-1';
  if (to === 'RUNNING') entry.job.runtime = { replicas: [{ id: 'r0', address: 'http://127.0.0.1:41000' }] };
}

/** Splits a multipart/form-data body into its named parts. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, { filename?: string; data: Buffer }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)!;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts = new Map<string, { filename?: string; data: Buffer }>();
  let at = body.indexOf(delimiter) + delimiter.length;
  for (;;) {
    const next = body.indexOf(delimiter, at);
    if (next === -1) break;
    const part = body.subarray(at + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    const name = /name="([^"]+)"/.exec(head)![1]!;
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    parts.set(name, { ...(filename !== undefined ? { filename } : {}), data: part.subarray(split + 4) });
    at = next + delimiter.length;
  }
  return parts;
}

function reply(method: string, path: string, query: URLSearchParams, request: Seen): Answer {
  const parts = path.split('/').map(decodeURIComponent);
  if (method === 'POST' && path === '/api/v1/jobs') {
    const form = parseMultipart(request.body, String(request.headers['content-type']));
    const job = makeJob(JSON.parse(form.get('manifest')!.data.toString()), fake.jobs.size + 1);
    fake.jobs.set(job.name, {
      job,
      events: [{ jobId: job.id, at: job.updatedAt, from: null, to: 'PENDING', reason: 'queued' }],
      step: 0,
    });
    return { status: 201, json: job };
  }
  if (method === 'GET' && path === '/api/v1/jobs')
    return { status: 200, json: { jobs: [...fake.jobs.values()].map((e) => e.job) } };
  if (method === 'GET' && path === '/api/v1/queue') {
    const pending = [...fake.jobs.values()]
      .map((e) => e.job)
      .filter((j) => j.state === 'PENDING' && (!query.get('queue') || j.queue === query.get('queue')));
    return { status: 200, json: { jobs: pending } };
  }
  const entry = fake.jobs.get(parts[4] ?? '');
  if (path.startsWith('/api/v1/jobs/') && !entry)
    return {
      status: 404,
      json: { code: 'KRN_ERR_JOB_NOT_FOUND', message: `no job named ${parts[4]} is deployed`, details: {} },
    };
  if (entry && parts.length === 5 && method === 'GET')
    return { status: 200, json: { jobs: [entry.job, { ...entry.job, version: '0.9.0' }] } };
  if (entry && parts[6] === 'logs') {
    const offset = Number(query.get('offset'));
    const start = offset < 0 ? Math.max(0, fake.log.length + offset) : Math.min(offset, fake.log.length);
    const end = Math.min(fake.log.length, start + Number(query.get('limit') ?? 1e9));
    return { status: 200, json: { text: fake.log.slice(start, end), offset: end } };
  }
  if (entry && parts.length === 6 && method === 'GET') {
    for (const step of SCRIPTS[entry.job.name]?.[entry.step++] ?? []) move(entry, step.to, step.reason);
    return { status: 200, json: { ...entry.job, version: entry.job.version, events: entry.events } };
  }
  if (entry && parts.length === 6 && method === 'DELETE')
    return { status: 200, json: { ...entry.job, version: parts[5] } };
  if (method === 'POST' && path === '/pub/job/adder/latest/perform') {
    const { numbers } = JSON.parse(request.body.toString()) as { numbers: number[] };
    return { status: 200, json: numbers.reduce((a, b) => a + b, 0) };
  }
  if (path === '/pub/job/adder/latest/text') return { status: 200, text: 'plain answer', type: 'text/plain' };
  if (path === '/pub/job/adder/latest/boom')
    return { status: 500, text: 'Traceback: ZeroDivisionError\n', type: 'text/plain' };
  if (path.startsWith('/pub/job/broken/'))
    return {
      status: 503,
      json: { code: 'KRN_ERR_JOB_NOT_RUNNING', message: 'broken@1.0.0 is FAILED: exit 1', details: {} },
    };
  return { status: 404, json: { code: 'KRN_ERR_NOT_FOUND', message: `no route ${method} ${path}`, details: {} } };
}

/** Starts the fake kernel; resolves to its URL and a close function. */
export async function startFakeJobKernel(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      fake.seen.push(request);
      const parsed = new URL(req.url!, 'http://x');
      const answer = reply(req.method!, parsed.pathname, parsed.searchParams, request);
      res.statusCode = answer.status;
      res.setHeader('content-type', answer.type ?? 'application/json');
      res.end(answer.text ?? JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
