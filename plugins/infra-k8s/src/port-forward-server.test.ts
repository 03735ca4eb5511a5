import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type PodForwarder, PortForwardServer } from './port-forward-server.js';

/** A fake forwarder: each "pod" is a local TCP server that answers with its own name. */
async function podServer(name: string): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => socket.on('data', (data) => socket.end(`${name}:${data.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const fakeForwarder = (ports: Record<string, number>, seen: string[]): PodForwarder => ({
  async forward(pod, port, socket) {
    seen.push(`${pod}:${port}`);
    const upstream = net.connect(ports[pod]!, '127.0.0.1');
    await new Promise<void>((resolve, reject) => upstream.once('connect', resolve).once('error', reject));
    socket.pipe(upstream).pipe(socket);
  },
});

function ask(address: string, text: string): Promise<string> {
  const { port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

describe('PortForwardServer', () => {
  it('forwards each connection to the next ready pod, bytes sent first included', async () => {
    const a = await podServer('pod-a');
    const b = await podServer('pod-b');
    cleanup.push(a.close, b.close);
    const seen: string[] = [];
    const pods = ['pod-a', 'pod-b'];
    let turn = 0;
    const server = await PortForwardServer.open({
      pickPod: async () => pods[turn++ % pods.length],
      port: 7000,
      forwarder: fakeForwarder({ 'pod-a': a.port, 'pod-b': b.port }, seen),
      onError: () => undefined,
    });
    cleanup.push(() => server.close());
    expect(server.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await ask(server.address, 'one')).toBe('pod-a:one');
    expect(await ask(server.address, 'two')).toBe('pod-b:two');
    expect(seen).toEqual(['pod-a:7000', 'pod-b:7000']);
  });

  it('closes the connection and reports why when no pod is ready or the forward fails', async () => {
    const errors: string[] = [];
    const failing: PodForwarder = { forward: async (pod) => Promise.reject(new Error(`${pod} refused`)) };
    let pod: string | undefined;
    const server = await PortForwardServer.open({
      pickPod: async () => pod,
      port: 7000,
      forwarder: failing,
      onError: (e, p) => errors.push(`${p ?? '-'}: ${e.message}`),
    });
    cleanup.push(() => server.close());
    expect(await ask(server.address, 'x')).toBe('');
    pod = 'pod-c';
    expect(await ask(server.address, 'y')).toBe('');
    expect(errors).toEqual(['-: no ready pod to forward to', 'pod-c: pod-c refused']);
    expect(server.connections).toBe(0);
  });
});
