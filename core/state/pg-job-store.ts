import type pg from 'pg';
import { ALLOCATED_STATES, type JobEvent, type JobRecord, type QueueConfig } from './job-record.js';
import { JOB_COLUMNS, jobValues, queueValues, toEvent, toJob, toQueue } from './job-rows.js';
import type { JobFilter, JobStore, PassOutcome, Transition } from './job-store.js';
import { inTransaction } from './pg-transaction.js';
import { stateError } from './state-error.js';
import type { Row } from './state-rows.js';

/** Serialises job inserts, so `seq` stays MAX + 1 (submission order without gaps) across replicas. */
export const JOB_SEQ_LOCK_KEY = 0x5350_4a31;

type Patch = NonNullable<Transition['patch']>;
const PATCH_COLUMNS: Record<keyof Patch, string> = {
  agentId: 'agent_id',
  runtime: 'runtime_json',
  notice: 'notice',
  attempts: 'attempts',
  jobtypeResolved: 'jobtype_resolved',
};

/**
 * Jobs on PostgreSQL. Moves are conditional updates (`state = ANY(from)`) and a pass commits in one
 * transaction, so two replicas never both move or reserve one job.
 */
export class PgJobStore implements JobStore {
  generation = 0;

  constructor(private readonly db: pg.Pool) {}

  private async op<T>(operation: string, fn: () => Promise<T>, write = false): Promise<T> {
    // Bumped before and after: a read overlapping the write must not be cached under either number.
    if (write) this.generation++;
    try {
      return await fn();
    } catch (error) {
      throw stateError(operation, error);
    } finally {
      if (write) this.generation++;
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.db.query<Row>(sql, params)).rows;
  }

  insertJob(job: Omit<JobRecord, 'seq'>, secrets: Record<string, string>): Promise<JobRecord> {
    return this.op(
      'insertJob',
      () =>
        inTransaction(this.db, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1)', [JOB_SEQ_LOCK_KEY]);
          const { rows } = await client.query<Row>(SQL.insert, [...jobValues(job), JSON.stringify(secrets)]);
          return toJob(rows[0]!);
        }),
      true,
    );
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.op(
      'getJob',
      async () => (await this.rows(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id])).map(toJob)[0],
    );
  }

  findJob(name: string, version: string): Promise<JobRecord | undefined> {
    return this.op(
      'findJob',
      async () =>
        (await this.rows(`SELECT ${JOB_COLUMNS} FROM jobs WHERE name = $1 AND version = $2`, [name, version])).map(
          toJob,
        )[0],
    );
  }

  listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    return this.op('listJobs', async () => {
      const where: string[] = [];
      const args: unknown[] = [];
      for (const column of ['name', 'version', 'state', 'queue', 'owner'] as const) {
        if (filter[column] !== undefined) where.push(`${column} = $${args.push(filter[column])}`);
      }
      const sql = `SELECT ${JOB_COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
      return (await this.rows(sql, args)).map(toJob);
    });
  }

  pendingJobs(queue: string): Promise<JobRecord[]> {
    return this.op('pendingJobs', async () =>
      (
        await this.rows(`SELECT ${JOB_COLUMNS} FROM jobs WHERE queue = $1 AND state = 'PENDING' ORDER BY seq`, [queue])
      ).map(toJob),
    );
  }

  allocatedJobs(): Promise<JobRecord[]> {
    return this.op('allocatedJobs', async () =>
      (
        await this.rows(`SELECT ${JOB_COLUMNS} FROM jobs WHERE state = ANY($1::text[]) ORDER BY seq`, [
          ALLOCATED_STATES,
        ])
      ).map(toJob),
    );
  }

  transition(id: string, t: Transition): Promise<JobRecord | undefined> {
    return this.op(
      'transition',
      async () => {
        const params: unknown[] = [id, t.from, t.to, t.reason, new Date().toISOString()];
        const sets = ['state = $3', 'reason = $4', 'updated_at = $5'];
        for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof Patch, string][]) {
          const value = t.patch?.[key];
          if (value !== undefined)
            sets.push(`${column} = $${params.push(key === 'runtime' ? JSON.stringify(value) : value)}`);
        }
        const [row] = await this.rows(SQL.transition(sets.join(', ')), params);
        return row && toJob(row);
      },
      true,
    );
  }

  commitPass(outcome: PassOutcome, at: string): Promise<string[]> {
    return this.op(
      'commitPass',
      () =>
        inTransaction(this.db, async (client) => {
          const { placements, waiting } = outcome;
          const reserved = new Set<string>();
          const touched = [...placements.map((p) => p.jobId), ...waiting.map((w) => w.jobId)];
          // Locked in id order first, so two replicas' passes over the same jobs queue up instead of deadlocking.
          if (touched.length > 0)
            await client.query('SELECT 1 FROM jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [touched]);
          if (placements.length > 0) {
            const { rows } = await client.query<{ id: string }>(SQL.reserve, [
              at,
              placements.map((p) => p.jobId),
              placements.map((p) => p.agentId),
            ]);
            for (const row of rows) reserved.add(row.id);
          }
          if (waiting.length > 0)
            await client.query(SQL.wait, [at, waiting.map((w) => w.jobId), waiting.map((w) => w.reason)]);
          // In placement order, which RETURNING does not promise (the SQLite store returns the same).
          return [...new Set(placements.map((p) => p.jobId))].filter((jobId) => reserved.has(jobId));
        }),
      true,
    );
  }

  async deleteJob(id: string): Promise<void> {
    await this.op('deleteJob', () => this.db.query(SQL.delete, [id]), true);
  }

  async setNotice(id: string, notice: string | null): Promise<void> {
    await this.op('setNotice', () => this.db.query('UPDATE jobs SET notice = $1 WHERE id = $2', [notice, id]), true);
  }

  getSecrets(id: string): Promise<Record<string, string>> {
    return this.op('getSecrets', async () => {
      const [row] = await this.rows('SELECT secrets_json FROM job_secrets WHERE job_id = $1', [id]);
      return row ? (JSON.parse(row.secrets_json as string) as Record<string, string>) : {};
    });
  }

  listEvents(id: string): Promise<JobEvent[]> {
    return this.op('listEvents', async () =>
      (
        await this.rows(
          'SELECT job_id, at, from_state, to_state, reason FROM job_events WHERE job_id = $1 ORDER BY at COLLATE "C", id',
          [id],
        )
      ).map(toEvent),
    );
  }

  getQueue(name: string): Promise<QueueConfig | undefined> {
    return this.op(
      'getQueue',
      async () =>
        (await this.rows('SELECT name, scheduler, config_json FROM queues WHERE name = $1', [name])).map(toQueue)[0],
    );
  }

  async putQueue(queue: QueueConfig): Promise<void> {
    await this.op('putQueue', () => this.db.query(SQL.putQueue, queueValues(queue)), true);
  }

  listQueues(): Promise<QueueConfig[]> {
    return this.op('listQueues', async () =>
      (await this.rows('SELECT name, scheduler, config_json FROM queues ORDER BY name COLLATE "C"')).map(toQueue),
    );
  }
}

const SQL = {
  // A job, its secrets and its first event as one statement; `seq` is safe to compute under the insert lock.
  insert: `WITH job AS (
      INSERT INTO jobs (${JOB_COLUMNS})
      VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
      RETURNING *
    ), secrets AS (
      INSERT INTO job_secrets (job_id, secrets_json) SELECT id, $21 FROM job
    ), event AS (
      INSERT INTO job_events (job_id, at, from_state, to_state, reason) SELECT id, submitted_at, NULL, state, reason FROM job
    )
    SELECT * FROM job`,
  // The row lock and the state check are one step: a replica that moved the job first wins, this one gets nothing.
  transition: (sets: string) => `WITH prev AS (
      SELECT id, state FROM jobs WHERE id = $1 AND state = ANY($2::text[]) FOR UPDATE
    ), moved AS (
      UPDATE jobs SET ${sets} FROM prev WHERE jobs.id = prev.id RETURNING jobs.*, prev.state AS from_state
    ), event AS (
      INSERT INTO job_events (job_id, at, from_state, to_state, reason) SELECT id, updated_at, from_state, state, reason FROM moved
    )
    SELECT * FROM moved`,
  // A pass is written set-wise: one statement reserves every placement and records its history.
  reserve: `WITH reserved AS (
      UPDATE jobs SET state = 'SCHEDULED', agent_id = d.agent_id, reason = 'placed on agent ' || d.agent_id, updated_at = $1::text
      FROM unnest($2::text[], $3::text[]) AS d(id, agent_id)
      WHERE jobs.id = d.id AND jobs.state = 'PENDING'
      RETURNING jobs.id, jobs.reason
    ), event AS (
      INSERT INTO job_events (job_id, at, from_state, to_state, reason) SELECT id, $1::text, 'PENDING', 'SCHEDULED', reason FROM reserved
    )
    SELECT id FROM reserved`,
  wait: `UPDATE jobs SET reason = d.reason, attempts = jobs.attempts + 1, updated_at = $1
    FROM unnest($2::text[], $3::text[]) AS d(id, reason) WHERE jobs.id = d.id AND jobs.state = 'PENDING'`,
  delete: `WITH secrets AS (DELETE FROM job_secrets WHERE job_id = $1), events AS (DELETE FROM job_events WHERE job_id = $1)
    DELETE FROM jobs WHERE id = $1`,
  putQueue:
    'INSERT INTO queues (name, scheduler, config_json) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET scheduler = excluded.scheduler, config_json = excluded.config_json',
} as const;
