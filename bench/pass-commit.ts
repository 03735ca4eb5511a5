/**
 * Benchmarks (jobs): committing a scheduling pass of 10k placements to SQLite in one transaction
 * (what the kernel does) vs one commit per decision, on the same file-backed database; and the
 * same one-transaction pass committed to PostgreSQL vs to SQLite.
 */
import path from 'node:path';
import type { JobRecord } from '../core/state/job-record.js';
import type { JobStore } from '../core/state/job-store.js';
import { openPgState } from '../core/state/open-pg-state.js';
import { SqliteJobStore } from '../core/state/sqlite-job-store.js';
import { openSqliteStore } from '../core/state/sqlite-store.js';
import { removeHome, tempHome, tempRoot } from './bench-kernel.js';
import { createBenchDatabase } from './bench-postgres.js';
import { type BenchResult, median, nowMs, result, round } from './stats.js';

const JOBS = 10_000;
const ROUNDS = 3;

export function job(i: number, now: string): Omit<JobRecord, 'seq'> {
  return {
    id: `job-${i}`,
    name: `job-${i}`,
    version: '1.0.0',
    owner: `owner-${i % 100}`,
    queue: 'default',
    target: 'local',
    jobtype: 'python3:1.x',
    jobtypeResolved: 'python3:1.0.0',
    kind: 'service',
    replicas: 1,
    resources: { cpu: 1, memory: 64 },
    manifest: { name: `job-${i}`, version: '1.0.0', jobtype: 'python3:1.x' },
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

async function freshStore(dir: string, name: string): Promise<{ store: SqliteJobStore; close: () => Promise<void> }> {
  const base = openSqliteStore(path.join(dir, `${name}.db`));
  const store = new SqliteJobStore(base.database);
  const now = new Date().toISOString();
  for (let i = 0; i < JOBS; i++) await store.insertJob(job(i, now), {});
  return { store, close: () => base.close() };
}

export async function runPassCommit(): Promise<BenchResult[]> {
  const dir = tempHome('spindle-bench-pass-');
  const one: number[] = [];
  const each: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const placements = Array.from({ length: JOBS }, (_, i) => ({ jobId: `job-${i}`, agentId: `agent-${i % 1000}` }));
      const a = await freshStore(dir, `one-${round}`);
      let start = nowMs();
      const reserved = await a.store.commitPass({ placements, waiting: [] }, new Date().toISOString());
      one.push(nowMs() - start);
      if (reserved.length !== JOBS) throw new Error(`one-transaction pass reserved ${reserved.length} of ${JOBS}`);
      await a.close();
      const b = await freshStore(dir, `each-${round}`);
      start = nowMs();
      // The same statements, committed once per decision.
      for (const p of placements) await b.store.commitPass({ placements: [p], waiting: [] }, new Date().toISOString());
      each.push(nowMs() - start);
      await b.close();
    }
  } finally {
    removeHome(dir);
  }
  const ratio = median(one) / median(each);
  return [
    result({
      id: 'scheduler.pass-commit',
      metric: `${JOBS} placements: one transaction per pass / one commit per decision (median ms; ≤ 0.1 = ≥ 10× faster)`,
      value: round(ratio, 3),
      unit: '×',
      ratio: round(ratio, 4),
      goal: { op: '<=', limit: 0.1 },
      summary: {
        oneTransactionMs: round(median(one), 1),
        commitPerDecisionMs: round(median(each), 1),
        jobs: JOBS,
        rounds: ROUNDS,
      },
      raw: { oneTransactionMs: one.map((v) => round(v, 1)), commitPerDecisionMs: each.map((v) => round(v, 1)) },
      notes: [`temp root: ${tempRoot()} (SQLite in WAL mode, synchronous=NORMAL, as the kernel opens it)`],
    }),
  ];
}

/** Insert the 10k pending jobs (not timed), then time one pass committing them all. */
async function timePass(store: JobStore): Promise<number> {
  const now = new Date().toISOString();
  for (let i = 0; i < JOBS; i++) await store.insertJob(job(i, now), {});
  const placements = Array.from({ length: JOBS }, (_, i) => ({ jobId: `job-${i}`, agentId: `agent-${i % 1000}` }));
  const start = nowMs();
  const reserved = await store.commitPass({ placements, waiting: [] }, new Date().toISOString());
  const ms = nowMs() - start;
  if (reserved.length !== JOBS) throw new Error(`the pass reserved ${reserved.length} of ${JOBS}`);
  return ms;
}

export async function runPassCommitPostgres(): Promise<BenchResult[]> {
  const dir = tempHome('spindle-bench-pass-pg-');
  const sqlite: number[] = [];
  const postgres: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const base = openSqliteStore(path.join(dir, `sqlite-${round}.db`));
      sqlite.push(await timePass(new SqliteJobStore(base.database)));
      await base.close();
      const database = await createBenchDatabase();
      try {
        const state = await openPgState(database.url);
        postgres.push(await timePass(state.jobStore));
        await state.close();
      } finally {
        await database.drop();
      }
    }
  } finally {
    removeHome(dir);
  }
  const ratio = median(postgres) / median(sqlite);
  return [
    result({
      id: 'scheduler.pass-commit-postgres',
      metric: `${JOBS} placements in one pass: PostgreSQL / SQLite (median ms; the pass must stay well under the 2 s scheduler tick: ≤ 20×)`,
      value: round(ratio, 2),
      unit: '×',
      ratio: round(ratio, 4),
      goal: { op: '<=', limit: 20 },
      summary: {
        postgresMs: round(median(postgres), 1),
        sqliteMs: round(median(sqlite), 1),
        jobs: JOBS,
        rounds: ROUNDS,
      },
      raw: { postgresMs: postgres.map((v) => round(v, 1)), sqliteMs: sqlite.map((v) => round(v, 1)) },
      notes: [
        'PostgreSQL on loopback (SPINDLE_BENCH_PG_URL); both stores as the kernel opens them; the pass is one transaction of set-wise statements on both',
      ],
    }),
  ];
}
