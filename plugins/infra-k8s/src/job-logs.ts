import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LogChunk } from 'spindle/plugin-sdk';
import { readJobLog, replicaLogFile } from 'spindle/plugin-sdk/targets';
import type { KubeClient } from './kube-client.js';

/**
 * Copy the job's pod logs (pods sorted by name: pod i is replica i) into `logDir` as
 * `replica-<i>.log`, so reading them is the same as on the other targets; returns how many.
 * A pod whose container has not started yet has an empty log.
 */
export async function snapshotPodLogs(client: KubeClient, jobId: string, logDir: string): Promise<number> {
  const pods = (await client.pods(jobId)).map((p) => p.metadata!.name!).sort();
  if (pods.length === 0) return 0;
  const texts = await Promise.all(pods.map((name) => client.podLog(name).catch(() => '')));
  await mkdir(logDir, { recursive: true });
  await Promise.all(
    texts.map(async (text, i) => {
      // Written aside and renamed: a reader never sees a half-written file.
      const temp = `${replicaLogFile(logDir, i)}.${randomUUID()}`;
      await writeFile(temp, text);
      await rename(temp, replicaLogFile(logDir, i));
    }),
  );
  for (const name of await readdir(logDir)) {
    const index = /^replica-(\d+)\.log$/.exec(name)?.[1];
    if (index !== undefined && Number(index) >= pods.length) await rm(path.join(logDir, name), { force: true });
  }
  return pods.length;
}

/**
 * The job's log as `readJobLog` gives it: with pods, their current logs, joined (`[replica i] `
 * prefixes when several) with offset and limit over the joined text; without pods (deleted, or
 * not made yet), the last copy in `logDir`.
 */
export async function readPodLogs(
  client: KubeClient,
  jobId: string,
  logDir: string | undefined,
  offset: number,
  limit?: number,
): Promise<LogChunk> {
  const dir = logDir ?? (await mkdtemp(path.join(os.tmpdir(), 'spindle-k8s-logs-')));
  try {
    let count = await snapshotPodLogs(client, jobId, dir);
    if (count === 0) count = (await readdir(dir).catch(() => [])).filter((n) => /^replica-\d+\.log$/.test(n)).length;
    if (count === 0) return { text: '', offset: 0 };
    return await readJobLog(dir, count, offset, limit);
  } finally {
    if (!logDir) await rm(dir, { recursive: true, force: true });
  }
}
