/** The kernel's HTTP API (`/api/v1`) as functions, one per endpoint, on global `fetch`. */

import type { LogChunk, VolumeFile } from '../../plugin-sdk/providers.js';
import type { ConfigView, HealthView, InstallResult, PluginView } from '../http/kernel-api.js';
import type { JobDetailView, JobView } from '../jobs/jobs-api.js';
import type { QueueConfig } from '../state/job-record.js';
import type { ActivityEntry, ActivityFilter } from '../state/store.js';
import type { MaintenanceState } from '../system/maintenance.js';
import type { VolumeDetailView, VolumeView } from '../volumes/volume-service.js';
import { HttpTransport, type Query } from './http-transport.js';
import { CliError } from './io.js';

export { type ApiClientOptions, ApiError } from './http-transport.js';

export interface ActionView {
  name: string;
  description: string;
  inputSchema: Record<string, unknown> | null;
}

export interface JobSubmission {
  manifest: unknown;
  secretEnv: Record<string, string>;
  /** The job directory as a ZIP. */
  source: Uint8Array;
}

/** A job's answer through the proxy, whatever its status. */
export interface JobCallResult {
  status: number;
  contentType: string;
  text: string;
}

const enc = encodeURIComponent;
/**
 * A volume path in a URL, encoded whole (slashes too): fetch would resolve a `..` segment itself
 * and send another path, instead of letting the kernel refuse it.
 */
function filePath(file: string): string {
  const rel = file.replace(/^\/+/, '');
  if (rel === '.' || rel === '..') throw new CliError(`"${file}" is not a file path in the volume`);
  return enc(rel);
}

/** One method per endpoint of the kernel's API; the requests themselves are `HttpTransport`'s. */
export class ApiClient extends HttpTransport {
  health(): Promise<HealthView> {
    return this.json({ path: '/health' });
  }

  async listPlugins(): Promise<PluginView[]> {
    return (await this.json<{ plugins: PluginView[] }>({ path: '/api/v1/plugins' })).plugins;
  }

  getPlugin(name: string): Promise<PluginView> {
    return this.json({ path: `/api/v1/plugins/${enc(name)}` });
  }

  installZip(data: Uint8Array, options: { replace?: boolean } = {}): Promise<InstallResult> {
    const raw = { body: data, contentType: 'application/zip' };
    return this.json({
      method: 'POST',
      path: '/api/v1/plugins',
      query: { replace: options.replace || undefined },
      raw,
    });
  }

  installUrl(url: string, options: { replace?: boolean } = {}): Promise<InstallResult> {
    return this.json({
      method: 'POST',
      path: '/api/v1/plugins',
      query: { replace: options.replace || undefined },
      json: { url },
    });
  }

  uninstall(
    name: string,
    version: string | undefined,
    options: { force?: boolean } = {},
  ): Promise<{ removed: string[] }> {
    const path = version ? `/api/v1/plugins/${enc(name)}/versions/${enc(version)}` : `/api/v1/plugins/${enc(name)}`;
    return this.json({ method: 'DELETE', path, query: { force: options.force || undefined } });
  }

  pin(name: string, version: string | null): Promise<PluginView> {
    return this.json({ method: 'PUT', path: `/api/v1/plugins/${enc(name)}/pin`, json: { version } });
  }

  setEnabled(name: string, enabled: boolean): Promise<PluginView> {
    return this.json({
      method: 'POST',
      path: `/api/v1/plugins/${enc(name)}/${enabled ? 'enable' : 'disable'}`,
      json: {},
    });
  }

  getConfig(name: string): Promise<ConfigView> {
    return this.json({ path: `/api/v1/plugins/${enc(name)}/config` });
  }

  /** PATCH merges into the stored config; `replace` PUTs it whole. */
  setConfig(name: string, config: Record<string, unknown>, options: { replace?: boolean } = {}): Promise<ConfigView> {
    return this.json({
      method: options.replace ? 'PUT' : 'PATCH',
      path: `/api/v1/plugins/${enc(name)}/config`,
      json: config,
    });
  }

  async listActions(name: string): Promise<ActionView[]> {
    const body = await this.json<{ actions: ActionView[] } | ActionView[]>({
      path: `/api/v1/plugins/${enc(name)}/actions`,
    });
    return Array.isArray(body) ? body : body.actions;
  }

  async runAction(name: string, action: string, input: unknown): Promise<unknown> {
    const path = `/api/v1/plugins/${enc(name)}/actions/${enc(action)}`;
    return (await this.json<{ result: unknown }>({ method: 'POST', path, json: input })).result;
  }

  async listDocs(name: string): Promise<string[]> {
    return (await this.json<{ pages: string[] }>({ path: `/api/v1/plugins/${enc(name)}/docs` })).pages;
  }

  async getDoc(name: string, page: string): Promise<string> {
    return (await this.send({ path: `/api/v1/plugins/${enc(name)}/docs/${enc(page)}` })).text();
  }

  async listActivity(filter: ActivityFilter = {}): Promise<ActivityEntry[]> {
    const query: Query = {
      plugin: filter.plugin,
      actor: filter.actor,
      action: filter.action,
      family: filter.family,
      job: filter.job,
      limit: filter.limit,
    };
    return (await this.json<{ entries: ActivityEntry[] }>({ path: '/api/v1/activity', query })).entries;
  }

  /** The auth-token plugin's login: a new API token for the user. */
  async login(username: string, password: string): Promise<string> {
    const answer = await this.json<{ token: string }>({
      method: 'POST',
      path: '/api/v1/plugins/auth-token/routes/login',
      json: { username, password },
    });
    return answer.token;
  }

  getMaintenance(): Promise<MaintenanceState> {
    return this.json({ path: '/api/v1/system/maintenance' });
  }

  setMaintenance(enabled: boolean, message?: string): Promise<MaintenanceState> {
    return this.json({
      method: 'PUT',
      path: '/api/v1/system/maintenance',
      json: { enabled, ...(message ? { message } : {}) },
    });
  }

  deployJob(job: JobSubmission, options: { force?: boolean } = {}): Promise<JobView> {
    const form = new FormData();
    form.append('manifest', JSON.stringify(job.manifest));
    form.append('secretEnv', JSON.stringify(job.secretEnv));
    form.append('source', new Blob([job.source], { type: 'application/zip' }), 'source.zip');
    return this.json({ method: 'POST', path: '/api/v1/jobs', query: { force: options.force || undefined }, form });
  }

  async listJobs(): Promise<JobView[]> {
    return (await this.json<{ jobs: JobView[] }>({ path: '/api/v1/jobs' })).jobs;
  }

  /** Every deployed version of one job. */
  async listJobVersions(name: string): Promise<JobView[]> {
    return (await this.json<{ jobs: JobView[] }>({ path: `/api/v1/jobs/${enc(name)}` })).jobs;
  }

  /** `version` may be an alias: `latest`, `1.x`. */
  getJob(name: string, version: string): Promise<JobDetailView> {
    return this.json({ path: `/api/v1/jobs/${enc(name)}/${enc(version)}` });
  }

  deleteJob(name: string, version: string): Promise<JobView> {
    return this.json({ method: 'DELETE', path: `/api/v1/jobs/${enc(name)}/${enc(version)}` });
  }

  redeployJob(name: string, version: string): Promise<JobView> {
    return this.json({ method: 'POST', path: `/api/v1/jobs/${enc(name)}/${enc(version)}/redeploy` });
  }

  /** A negative offset reads the last bytes; pass the returned offset back to read on. */
  jobLogs(name: string, version: string, offset: number, limit?: number): Promise<LogChunk> {
    return this.json({ path: `/api/v1/jobs/${enc(name)}/${enc(version)}/logs`, query: { offset, limit } });
  }

  /** Pending jobs, oldest first, each with why it waits. */
  async listPending(queue?: string): Promise<JobView[]> {
    return (await this.json<{ jobs: JobView[] }>({ path: '/api/v1/queue', query: { queue } })).jobs;
  }

  async listQueues(): Promise<QueueConfig[]> {
    return (await this.json<{ queues: QueueConfig[] }>({ path: '/api/v1/queues' })).queues;
  }

  putQueue(queue: QueueConfig): Promise<QueueConfig> {
    const { name, ...body } = queue;
    return this.json({ method: 'PUT', path: `/api/v1/queues/${enc(name)}`, json: body });
  }

  async listVolumes(): Promise<VolumeView[]> {
    return (await this.json<{ volumes: VolumeView[] }>({ path: '/api/v1/volumes' })).volumes;
  }

  getVolume(volume: string): Promise<VolumeDetailView> {
    return this.json({ path: `/api/v1/volumes/${enc(volume)}` });
  }

  createVolume(name: string, quotaBytes?: number | null): Promise<VolumeView> {
    return this.json({
      method: 'POST',
      path: '/api/v1/volumes',
      json: { name, ...(quotaBytes !== undefined ? { quotaBytes } : {}) },
    });
  }

  cloneVolume(source: string, name: string, quotaBytes?: number | null): Promise<VolumeView> {
    return this.json({
      method: 'POST',
      path: `/api/v1/volumes/${enc(source)}/clone`,
      json: { name, ...(quotaBytes !== undefined ? { quotaBytes } : {}) },
    });
  }

  async deleteVolume(volume: string): Promise<void> {
    await this.send({ method: 'DELETE', path: `/api/v1/volumes/${enc(volume)}` });
  }

  setVolumeQuota(volume: string, quotaBytes: number | null): Promise<VolumeView> {
    return this.json({ method: 'PUT', path: `/api/v1/volumes/${enc(volume)}/quota`, json: { quotaBytes } });
  }

  /** `mode` null stops sharing. */
  shareVolume(volume: string, grantee: string, mode: 'ro' | 'rw' | null): Promise<VolumeDetailView> {
    const path = `/api/v1/volumes/${enc(volume)}/shares/${enc(grantee)}`;
    return mode ? this.json({ method: 'PUT', path, json: { mode } }) : this.json({ method: 'DELETE', path });
  }

  async listVolumeFiles(volume: string, dir: string): Promise<VolumeFile[]> {
    return (
      await this.json<{ files: VolumeFile[] }>({ path: `/api/v1/volumes/${enc(volume)}/files`, query: { path: dir } })
    ).files;
  }

  uploadFile(
    volume: string,
    file: string,
    body: ReadableStream<Uint8Array>,
    options: { overwrite?: boolean } = {},
  ): Promise<VolumeFile> {
    const path = `/api/v1/volumes/${enc(volume)}/files/${filePath(file)}`;
    return this.json({
      method: 'PUT',
      path,
      query: { overwrite: options.overwrite || undefined },
      raw: { body, contentType: 'application/octet-stream' },
    });
  }

  /** The file's bytes as a stream. */
  async downloadFile(volume: string, file: string): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send({
      path: `/api/v1/volumes/${enc(volume)}/files/${filePath(file)}`,
      accept: 'application/octet-stream',
    });
    if (!response.body) throw new CliError(`the kernel sent no body for ${file}`);
    return response.body;
  }

  async volumeMkdir(volume: string, dir: string): Promise<void> {
    await this.send({ method: 'POST', path: `/api/v1/volumes/${enc(volume)}/mkdir`, json: { path: dir } });
  }

  async volumeRename(volume: string, from: string, to: string): Promise<void> {
    await this.send({ method: 'POST', path: `/api/v1/volumes/${enc(volume)}/rename`, json: { from, to } });
  }

  async deleteVolumeFile(volume: string, file: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.send({
      method: 'DELETE',
      path: `/api/v1/volumes/${enc(volume)}/files/${filePath(file)}`,
      query: { recursive: options.recursive || undefined },
    });
  }

  /** Calls a job through the proxy; `path` may carry a query string. */
  async callJob(
    name: string,
    version: string,
    path: string,
    request: { method: string; json?: string },
  ): Promise<JobCallResult> {
    const raw =
      request.json !== undefined ? { body: Buffer.from(request.json), contentType: 'application/json' } : undefined;
    const target = `/pub/job/${enc(name)}/${enc(version)}/${path.replace(/^\/+/, '')}`;
    const response = await this.send({
      method: request.method,
      path: target,
      accept: '*/*',
      anyStatus: true,
      ...(raw ? { raw } : {}),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }
}
