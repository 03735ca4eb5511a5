import type Database from 'better-sqlite3';
import { ALLOCATED_STATES, type JobEvent, type JobRecord, type JobState, type QueueConfig } from './job-record.js';
import { JOB_COLUMNS as COLUMNS, jobValues, queueValues, toEvent, toJob, toQueue } from './job-rows.js';
import type { JobFilter, JobStore, PassOutcome, Transition } from './job-store.js';
import { stateError } from './state-error.js';
import type { Row } from './state-rows.js';

const inList = (states: readonly JobState[]): string => states.map((s) => `'${s}'`).join(', ');

/** Jobs on the kernel's SQLite file. Each pass's reservations commit in one transaction. */
export class SqliteJobStore implements JobStore {
  generation = 0;
  private readonly s;
  private readonly listQueries = new Map<string, Database.Statement<unknown[], Row>>();
  private readonly commitPassTx: (outcome: PassOutcome, at: string) => string[];
  private readonly transitionTx: (id: string, t: Transition) => JobRecord | undefined;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare<unknown[], Row>(sql);
    this.s = {
      insert: p(
        `INSERT INTO jobs (${COLUMNS}) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertSecrets: p('INSERT INTO job_secrets (job_id, secrets_json) VALUES (?, ?)'),
      get: p(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`),
      find: p(`SELECT ${COLUMNS} FROM jobs WHERE name = ? AND version = ?`),
      pending: p(`SELECT ${COLUMNS} FROM jobs WHERE queue = ? AND state = 'PENDING' ORDER BY seq`),
      allocated: p(`SELECT ${COLUMNS} FROM jobs WHERE state IN (${inList(ALLOCATED_STATES)})`),
      update: p(
        `UPDATE jobs SET state = ?, reason = ?, agent_id = ?, runtime_json = ?, notice = ?, attempts = ?, jobtype_resolved = ?, updated_at = ? WHERE id = ?`,
      ),
      // A pass is written set-wise: one statement for all placements, one for their history, one
      // for the waiting reasons, each reading the decisions from a JSON array.
      reserve:
        p(`UPDATE jobs SET state = 'SCHEDULED', agent_id = (d.value ->> 1), reason = 'placed on agent ' || (d.value ->> 1), updated_at = ?
        FROM json_each(?) AS d WHERE jobs.id = (d.value ->> 0) AND jobs.state = 'PENDING' RETURNING jobs.id, jobs.agent_id`),
      reserveEvents: p(`INSERT INTO job_events (job_id, at, from_state, to_state, reason)
        SELECT (d.value ->> 0), ?, 'PENDING', 'SCHEDULED', 'placed on agent ' || (d.value ->> 1) FROM json_each(?) AS d`),
      wait: p(`UPDATE jobs SET reason = (d.value ->> 1), attempts = attempts + 1, updated_at = ?
        FROM json_each(?) AS d WHERE jobs.id = (d.value ->> 0) AND jobs.state = 'PENDING'`),
      event: p('INSERT INTO job_events (job_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)'),
      events: p('SELECT job_id, at, from_state, to_state, reason FROM job_events WHERE job_id = ? ORDER BY at, rowid'),
      delete: p('DELETE FROM jobs WHERE id = ?'),
      notice: p('UPDATE jobs SET notice = ? WHERE id = ?'),
      deleteSecrets: p('DELETE FROM job_secrets WHERE job_id = ?'),
      deleteEvents: p('DELETE FROM job_events WHERE job_id = ?'),
      secrets: p('SELECT secrets_json FROM job_secrets WHERE job_id = ?'),
      getQueue: p('SELECT name, scheduler, config_json FROM queues WHERE name = ?'),
      putQueue: p(
        'INSERT INTO queues (name, scheduler, config_json) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET scheduler = excluded.scheduler, config_json = excluded.config_json',
      ),
      listQueues: p('SELECT name, scheduler, config_json FROM queues ORDER BY name'),
    };
    this.transitionTx = db.transaction((id: string, t: Transition) => {
      const row = this.s.get.get(id);
      if (!row) return undefined;
      const job = toJob(row);
      if (!t.from.includes(job.state)) return undefined;
      const next = { ...job, ...t.patch, state: t.to, reason: t.reason, updatedAt: new Date().toISOString() };
      this.s.update.run(
        next.state,
        next.reason,
        next.agentId,
        JSON.stringify(next.runtime),
        next.notice,
        next.attempts,
        next.jobtypeResolved,
        next.updatedAt,
        id,
      );
      this.s.event.run(id, next.updatedAt, job.state, t.to, t.reason);
      return next;
    });
    this.commitPassTx = db.transaction((outcome: PassOutcome, at: string) => {
      const reserved = this.s.reserve.all(at, JSON.stringify(outcome.placements.map((p) => [p.jobId, p.agentId])));
      if (reserved.length > 0) this.s.reserveEvents.run(at, JSON.stringify(reserved.map((r) => [r.id, r.agent_id])));
      if (outcome.waiting.length > 0)
        this.s.wait.run(at, JSON.stringify(outcome.waiting.map((w) => [w.jobId, w.reason])));
      // In placement order, which RETURNING does not promise (and PostgreSQL returns the same).
      const ids = new Set(reserved.map((r) => r.id as string));
      return [...new Set(outcome.placements.map((p) => p.jobId))].filter((id) => ids.has(id));
    });
  }

  private op<T>(operation: string, fn: () => T, write = false): Promise<T> {
    try {
      if (write) this.generation++;
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(stateError(operation, error));
    }
  }

  insertJob(job: Omit<JobRecord, 'seq'>, secrets: Record<string, string>): Promise<JobRecord> {
    return this.op(
      'insertJob',
      () =>
        this.db.transaction(() => {
          this.s.insert.run(...jobValues(job));
          this.s.insertSecrets.run(job.id, JSON.stringify(secrets));
          this.s.event.run(job.id, job.submittedAt, null, job.state, job.reason);
          return toJob(this.s.get.get(job.id)!);
        })(),
      true,
    );
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.op('getJob', () => {
      const row = this.s.get.get(id);
      return row && toJob(row);
    });
  }

  findJob(name: string, version: string): Promise<JobRecord | undefined> {
    return this.op('findJob', () => {
      const row = this.s.find.get(name, version);
      return row && toJob(row);
    });
  }

  listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.op('listJobs', () => {
      const where: string[] = [];
      const args: unknown[] = [];
      for (const [key, column] of [
        ['name', 'name'],
        ['version', 'version'],
        ['state', 'state'],
        ['queue', 'queue'],
        ['owner', 'owner'],
      ] as const) {
        if (filter[key] !== undefined) {
          where.push(`${column} = ?`);
          args.push(filter[key]);
        }
      }
      const sql = `SELECT ${COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
      let stmt = this.listQueries.get(sql);
      if (!stmt) this.listQueries.set(sql, (stmt = this.db.prepare<unknown[], Row>(sql)));
      return stmt.all(...args).map(toJob);
    });
  }

  pendingJobs(queue: string): Promise<JobRecord[]> {
    return this.op('pendingJobs', () => this.s.pending.all(queue).map(toJob));
  }

  allocatedJobs(): Promise<JobRecord[]> {
    return this.op('allocatedJobs', () => this.s.allocated.all().map(toJob));
  }

  transition(id: string, transition: Transition): Promise<JobRecord | undefined> {
    return this.op('transition', () => this.transitionTx(id, transition), true);
  }

  commitPass(outcome: PassOutcome, at: string): Promise<string[]> {
    return this.op('commitPass', () => this.commitPassTx(outcome, at), true);
  }

  deleteJob(id: string): Promise<void> {
    return this.op(
      'deleteJob',
      () =>
        this.db.transaction(() => {
          this.s.delete.run(id);
          this.s.deleteSecrets.run(id);
          this.s.deleteEvents.run(id);
        })(),
      true,
    );
  }

  setNotice(id: string, notice: string | null): Promise<void> {
    return this.op('setNotice', () => void this.s.notice.run(notice, id), true);
  }

  getSecrets(id: string): Promise<Record<string, string>> {
    return this.op('getSecrets', () => {
      const value = this.s.secrets.pluck().get(id) as string | undefined;
      return value ? (JSON.parse(value) as Record<string, string>) : {};
    });
  }

  listEvents(id: string): Promise<JobEvent[]> {
    return this.op('listEvents', () => this.s.events.all(id).map(toEvent));
  }

  getQueue(name: string): Promise<QueueConfig | undefined> {
    return this.op('getQueue', () => {
      const row = this.s.getQueue.get(name);
      return row && toQueue(row);
    });
  }

  putQueue(queue: QueueConfig): Promise<void> {
    return this.op('putQueue', () => void this.s.putQueue.run(...queueValues(queue)), true);
  }

  listQueues(): Promise<QueueConfig[]> {
    return this.op('listQueues', () => this.s.listQueues.all().map(toQueue));
  }
}
