/** The CLI against a tiny fake kernel on node:http, run in-process through runCli. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import type { PluginView } from '../../core/http/kernel-api.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const PLUGIN: PluginView = {
  name: 'scheduler-fifo',
  description: 'First in, first out',
  category: 'scheduler',
  activeVersion: '1.1.0',
  pinnedVersion: null,
  enabled: true,
  versions: [
    {
      version: '1.1.0',
      state: 'active',
      error: null,
      installedAt: '2025-01-02T00:00:00Z',
      sha256: 'a',
      source: 'upload',
      active: true,
    },
    {
      version: '1.2.0',
      state: 'failed',
      error: 'boom',
      installedAt: '2025-01-03T00:00:00Z',
      sha256: 'b',
      source: 'upload',
      active: false,
    },
  ],
  actions: [],
  routes: [],
  docs: ['usage'],
  runs: 'in-process',
  permissions: {},
};

let server: Server;
let url: string;
let seen: Seen[] = [];
let home: string;

function reply(method: string, path: string, body: Buffer): { status: number; json?: unknown; text?: string } {
  if (method === 'GET' && path === '/api/v1/plugins') return { status: 200, json: { plugins: [PLUGIN] } };
  if (method === 'POST' && path === '/api/v1/plugins') {
    return {
      status: 201,
      json: {
        name: 'scheduler-fifo',
        version: '1.3.0',
        state: 'active',
        swappedFrom: '1.1.0',
        removed: [],
        permissions: { childProcess: true, fsRead: ['$JOBS'] },
        plugin: PLUGIN,
      },
    };
  }
  if (method === 'GET' && path === '/api/v1/plugins/ghost') {
    return {
      status: 404,
      json: {
        code: 'KRN_ERR_PLUGIN_NOT_FOUND',
        message: 'no plugin ghost.\n`spindle plugin list` shows what is installed.',
        details: {},
      },
    };
  }
  if (method === 'PATCH' && path === '/api/v1/plugins/scheduler-fifo/config') {
    return { status: 200, json: { config: JSON.parse(body.toString()), schema: null } };
  }
  if (method === 'DELETE' && path.startsWith('/api/v1/plugins/scheduler-fifo'))
    return { status: 200, json: { removed: ['1.2.0'] } };
  if (method === 'PUT' && path === '/api/v1/plugins/scheduler-fifo/pin') return { status: 200, json: PLUGIN };
  if (method === 'GET' && path === '/api/v1/plugins/scheduler-fifo/docs/usage')
    return { status: 200, text: '# Usage\n\nRun it.\n' };
  if (method === 'GET' && path === '/api/v1/activity') return { status: 200, json: { entries: [] } };
  if (method === 'GET' && path === '/api/v1/plugins/crash') return { status: 502, text: '<html>Bad gateway</html>' };
  return { status: 404, json: { code: 'KRN_ERR_NOT_FOUND', message: `no route ${method} ${path}`, details: {} } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = reply(req.method!, new URL(req.url!, 'http://x').pathname, body);
      res.statusCode = answer.status;
      res.setHeader('content-type', answer.text !== undefined ? 'text/markdown' : 'application/json');
      res.end(answer.text ?? JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  home = mkdtempSync(join(tmpdir(), 'spindle-cli-http-'));
  return () => rmSync(home, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { HOME: home, SPINDLE_URL: url, SPINDLE_TOKEN: 'tok', ...env },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('spindle against the HTTP API', () => {
  it('lists plugins as an aligned table, or raw JSON with --json', async () => {
    const table = await cli(['plugin', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ACTIVE\s+STATUS\s+ENABLED\s+PINNED\s+CATEGORY\s+VERSIONS$/);
    expect(lines[1]).toMatch(/^scheduler-fifo\s+1\.1\.0\s+active\s+yes\s+-\s+scheduler\s+1\.1\.0,1\.2\.0\(failed\)$/);
    expect(lines[0]!.indexOf('ACTIVE')).toBe(lines[1]!.indexOf('1.1.0'));
    expect(seen[0]!.headers.authorization).toBe('Bearer tok');

    const json = await cli(['plugin', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ plugins: [PLUGIN] });
  });

  it('uploads a local ZIP as the raw request body, byte for byte', async () => {
    const zip = randomBytes(256 * 1024);
    const file = join(home, 'p.zip');
    writeFileSync(file, zip);
    const result = await cli(['plugin', 'install', file, '--replace']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'installed scheduler-fifo@1.3.0: active; swapped from 1.1.0\npermissions: runs programs; reads $JOBS\n',
    );
    const request = seen[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/plugins?replace=true');
    expect(request.headers['content-type']).toBe('application/zip');
    expect(request.body.equals(zip)).toBe(true);
  });

  it('sends an http(s) source as JSON {url}', async () => {
    expect((await cli(['plugin', 'install', 'https://example.com/p.zip'])).code).toBe(0);
    expect(seen[0]!.url).toBe('/api/v1/plugins');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({ url: 'https://example.com/p.zip' });
  });

  it('turns an error answer into exit 1 and one stderr line with the code', async () => {
    const result = await cli(['plugin', 'get', 'ghost']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: KRN_ERR_PLUGIN_NOT_FOUND: no plugin ghost. `spindle plugin list` shows what is installed.\n',
    );
  });

  it('reports a non-JSON error answer by its HTTP status', async () => {
    const result = await cli(['plugin', 'get', 'crash']);
    expect(result).toMatchObject({ code: 1, stderr: 'error: HTTP_502: <html>Bad gateway</html>\n' });
  });

  it('says how to start a kernel when none is reachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const result = await cli(['plugin', 'list'], { SPINDLE_URL: deadUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the kernel is not reachable at ${deadUrl} (ECONNREFUSED); start one with \`spindle start\`, or point --url / SPINDLE_URL at a running kernel\n`,
    );
  });

  it('merges config with PATCH, YAML-typed values and nested keys', async () => {
    const result = await cli(['plugin', 'config', 'set', 'scheduler-fifo', 'n=3', 'a.b=x', 'on=true', '--json']);
    expect(result.code).toBe(0);
    expect(seen[0]!.method).toBe('PATCH');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({ n: 3, a: { b: 'x' }, on: true });
    expect(JSON.parse(result.stdout).config).toEqual({ n: 3, a: { b: 'x' }, on: true });
  });

  it('maps uninstall name@version, pin none, docs pages and activity filters to their endpoints', async () => {
    expect((await cli(['plugin', 'uninstall', 'scheduler-fifo@1.2.0', '--force'])).stdout).toBe(
      'removed scheduler-fifo 1.2.0\n',
    );
    expect(seen[0]).toMatchObject({
      method: 'DELETE',
      url: '/api/v1/plugins/scheduler-fifo/versions/1.2.0?force=true',
    });

    await cli(['plugin', 'pin', 'scheduler-fifo', 'none']);
    expect(JSON.parse(seen[1]!.body.toString())).toEqual({ version: null });

    expect((await cli(['plugin', 'docs', 'scheduler-fifo', 'usage'])).stdout).toBe('# Usage\n\nRun it.\n');

    const activity = await cli(['activity', '--plugin', 'scheduler-fifo', '--limit', '5']);
    expect(activity.stdout).toBe('No activity.\n');
    expect(seen[3]!.url).toBe('/api/v1/activity?plugin=scheduler-fifo&limit=5');
  });

  it('uses the token saved by login, and --url/--token flags over env', async () => {
    expect((await cli(['login', '--url', url, '--token', 'saved'], { SPINDLE_URL: '', SPINDLE_TOKEN: '' })).code).toBe(
      0,
    );
    await cli(['plugin', 'list'], { SPINDLE_URL: '', SPINDLE_TOKEN: '' });
    expect(seen[0]!.headers.authorization).toBe('Bearer saved');
    await cli(['plugin', 'list', '--token', 'flag'], {});
    expect(seen[1]!.headers.authorization).toBe('Bearer flag');
  });
});
