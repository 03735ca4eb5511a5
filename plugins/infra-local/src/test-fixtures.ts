/** Shared by the tests: small Node scripts used as jobs, and helpers to build requests and wait. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { DeployRequest } from 'spindle/plugin-sdk';
import { requestTarget } from 'spindle/plugin-sdk/targets';

const SCRIPTS: Record<string, string> = {
  // A service. Env switches: IGNORE_TERM (survives SIGTERM), GRANDCHILD_FILE (spawns a child and writes its pid there).
  'server.cjs': `
const http = require('http');
console.log('pid ' + process.pid + ' port ' + process.env.PORT + ' replica ' + process.env.SPINDLE_REPLICA);
if (process.env.IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (process.env.GRANDCHILD_FILE) {
  const child = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.env.GRANDCHILD_FILE], { stdio: 'ignore' });
  require('fs').writeFileSync(process.env.GRANDCHILD_FILE, String(child.pid));
}
http.createServer((q, s) => {
  if (q.url === '/health') return s.end('ok');
  if (q.url === '/env') {
    const e = process.env;
    return s.end(JSON.stringify({ PORT: e.PORT, SPINDLE_REPLICA: e.SPINDLE_REPLICA, SECRET_TOKEN: e.SECRET_TOKEN, FROM_RUN: e.FROM_RUN, HOME: e.HOME, LANG: e.LANG, cwd: process.cwd() }));
  }
  s.end('hi from replica ' + process.env.SPINDLE_REPLICA);
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  // Answers its health check once, then exits 1 after 200 ms.
  'crasher.cjs': `
let armed = false;
require('http').createServer((q, s) => {
  s.end('ok');
  if (!armed) { armed = true; setTimeout(() => { console.log('crashing'); process.exit(1); }, 200); }
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  // Prints LINES lines and exits with EXIT_CODE.
  'batch.cjs': `
const n = Number(process.env.LINES || 3);
for (let i = 1; i <= n; i++) console.log('line ' + i);
process.exitCode = Number(process.env.EXIT_CODE || 0);
`,
  // Never listens.
  'silent.cjs': `
console.log('pid ' + process.pid);
for (let i = 1; i <= 30; i++) console.log('booting slowly ' + i);
setInterval(() => {}, 1000);
`,
};

export interface Fixtures {
  dir: string;
  script(name: keyof typeof SCRIPTS | string): string;
  request(jobId: string, script: string, options?: RequestOptions): DeployRequest;
  /** Remove every job's folders (logs, work), keeping the scripts. */
  reset(): void;
  cleanup(): void;
}

export interface RequestOptions {
  kind?: 'service' | 'batch';
  replicas?: number;
  env?: Record<string, string>;
  runEnv?: Record<string, string>;
}

export function createFixtures(): Fixtures {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-local-test-'));
  mkdirSync(path.join(dir, 'src'));
  for (const [name, body] of Object.entries(SCRIPTS)) writeFileSync(path.join(dir, 'src', name), body);
  const script = (name: string): string => path.join(dir, 'src', name);
  return {
    dir,
    script,
    request: (jobId, name, options = {}) => ({
      job: {
        id: jobId,
        name: jobId,
        version: '1.0.0',
        owner: 'ada',
        jobtype: 'node:1.0.0',
        jobtypeResolved: 'node:1.0.0',
        kind: options.kind ?? 'service',
        replicas: options.replicas ?? 1,
        resources: {},
      },
      // The job id as an argument, so a test finds the job's processes (hostPidsOf) whatever pid namespace they are in.
      run: { command: [process.execPath, script(name), jobId], env: options.runEnv ?? {}, healthPath: '/health' },
      agentId: 'local',
      env: options.env ?? {},
      mounts: [],
      sourceDir: path.join(dir, 'src'),
      workDir: path.join(dir, jobId, 'work'),
      logDir: path.join(dir, jobId, 'logs'),
    }),
    reset: () => {
      for (const entry of readdirSync(dir))
        if (entry !== 'src') rmSync(path.join(dir, entry), { recursive: true, force: true });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** GET `url` (`http://` or a replica's `http+unix://` address plus a path) and read the body. */
export async function httpText(url: string): Promise<string> {
  const { label: _, ...target } = requestTarget(url);
  return new Promise((resolve, reject) => {
    const req = request({ ...target, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Host pids of the live processes whose command line has these arguments in a row. */
export function hostPidsOf(...args: string[]): number[] {
  const wanted = args.join('\0');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(wanted)) pids.push(Number(entry));
    } catch {
      // it ended meanwhile
    }
  }
  return pids;
}
