/** An HTTP load generator in its own process, so it does not share the measured server's event loop. */
import { spawn } from 'node:child_process';

export interface LoadSpec {
  method: 'GET' | 'POST';
  body?: string;
  requests: number;
  concurrency: number;
}

const LOADER = `
const http = require('http');
const [url, headersJson, method, body, requests, concurrency] = process.argv.slice(1);
const headers = JSON.parse(headersJson);
if (body) headers['content-type'] = 'application/json';
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
let sent = 0;
const one = () => new Promise((resolve, reject) => {
  const req = http.request(url, { method, headers, agent }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('status ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(body || undefined);
});
const worker = async () => { while (sent < Number(requests)) { sent++; await one(); } };
const start = process.hrtime.bigint();
Promise.all(Array.from({ length: Number(concurrency) }, worker)).then(
  () => { console.log(Number(requests) / (Number(process.hrtime.bigint() - start) / 1e9)); agent.destroy(); },
  (error) => { console.error(String(error)); process.exit(1); },
);`;

/** Requests per second for `spec` against `url`; every answer must be 200. */
export async function load(url: string, headers: Record<string, string>, spec: LoadSpec): Promise<number> {
  const args = [
    '-e',
    LOADER,
    url,
    JSON.stringify(headers),
    spec.method,
    spec.body ?? '',
    String(spec.requests),
    String(spec.concurrency),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the load generator failed (exit ${code})`);
  return Number(out.trim());
}

const PROBER = `
const http = require('http');
const [url, count] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const one = () => new Promise((resolve, reject) => {
  const req = http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('status ' + res.statusCode)))); });
  req.on('error', reject);
});
(async () => {
  const out = [];
  for (let i = 0; i < Number(count); i++) { const start = process.hrtime.bigint(); await one(); out.push(Number(process.hrtime.bigint() - start) / 1e3); }
  console.log(JSON.stringify(out));
  agent.destroy();
})().catch((error) => { console.error(String(error)); process.exit(1); });`;

/** Latencies in µs of `count` sequential GETs of `url`, one keep-alive client in its own process (as a health checker). */
export async function probe(url: string, count: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', PROBER, url, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the prober failed (exit ${code})`);
  return JSON.parse(out) as number[];
}
