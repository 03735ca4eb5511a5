import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ReplicaRecord {
  id: string;
  index: number;
  pid?: number;
  port: number;
  address: string;
  /** See `processStartTime`: tells the replica from a later process that got the same pid. */
  startTime?: string;
}

export interface JobRecord {
  jobId: string;
  kind: 'service' | 'batch';
  logDir: string;
  replicaCount: number;
  healthPath?: string;
  /** The user a confined job runs as, when the kernel is root. */
  uid?: number;
  replicas: ReplicaRecord[];
  /** False once the job was stopped or ended; the record stays so its logs can still be read. */
  running: boolean;
  updatedAt: string;
}

/** Ended jobs kept for their log directory; the oldest go first. */
const MAX_ENDED_RECORDS = 1_000;

/**
 * `<dataDir>/jobs.json`: jobId → record. Every change is a synchronous read-modify-write of one
 * record, renamed into place, so two instances of the plugin (during a swap) never lose each
 * other's updates and a crash never leaves half a file.
 */
export class StateFile {
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.file = path.join(dataDir, 'jobs.json');
  }

  readAll(): Record<string, JobRecord> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.warn(`cannot read ${this.file}: ${(error as Error).message}`);
      return {};
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, JobRecord>;
      throw new Error('not an object');
    } catch (error) {
      this.warn(`${this.file} is not valid JSON (${(error as Error).message}); starting with no jobs`);
      return {};
    }
  }

  get(jobId: string): JobRecord | undefined {
    return this.readAll()[jobId];
  }

  put(record: JobRecord): void {
    const all = this.readAll();
    all[record.jobId] = { ...record, updatedAt: new Date().toISOString() };
    this.write(prune(all));
  }

  /** Mark a job ended (keeps its log directory on record). */
  markEnded(jobId: string): void {
    const record = this.get(jobId);
    if (record?.running) this.put({ ...record, running: false });
  }

  private write(all: Record<string, JobRecord>): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function prune(all: Record<string, JobRecord>): Record<string, JobRecord> {
  const ended = Object.values(all).filter((r) => !r.running);
  if (ended.length <= MAX_ENDED_RECORDS) return all;
  ended.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  for (const record of ended.slice(0, ended.length - MAX_ENDED_RECORDS)) delete all[record.jobId];
  return all;
}
