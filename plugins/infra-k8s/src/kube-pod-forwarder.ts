import type net from 'node:net';
import { Writable } from 'node:stream';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';
import type { PodForwarder } from './port-forward-server.js';

/** The part of client-node's WebSocket the forwarder uses. */
interface ForwardSocket {
  on(event: 'close', listener: () => void): unknown;
  close(): void;
}

/** PodForwarder over the API server's `pods/portforward` (a WebSocket per connection). */
export function kubePodForwarder(kubeConfig: KubeConfig, namespace: string): PodForwarder {
  const portForward = new PortForward(kubeConfig, true);
  return {
    async forward(pod: string, port: number, socket: net.Socket): Promise<void> {
      // The error channel carries a message when the pod refuses the connection.
      const errors = new Writable({
        write(chunk: Buffer, _encoding, done) {
          if (chunk.length > 0)
            socket.destroy(new Error(`port-forward to ${pod}:${port}: ${chunk.toString('utf8').trim()}`));
          done();
        },
      });
      const ws = (await portForward.portForward(
        namespace,
        pod,
        [port],
        socket,
        errors,
        socket,
      )) as unknown as ForwardSocket;
      ws.on('close', () => socket.end());
      socket.on('close', () => ws.close());
    },
  };
}
