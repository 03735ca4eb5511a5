import net from 'node:net';

/** Connects one local socket to a pod's port (client-node's PortForward in the plugin; a fake in tests). */
export interface PodForwarder {
  /** Resolves once the stream to the pod is open; the forwarder ends `socket` when the stream ends. */
  forward(pod: string, port: number, socket: net.Socket): Promise<void>;
}

export interface PortForwardOptions {
  /** The pod a new connection goes to (a ready one, in turn), or undefined when none is ready. */
  pickPod(): Promise<string | undefined>;
  /** The container port to reach in the pod. */
  port: number;
  forwarder: PodForwarder;
  onError(error: Error, pod: string | undefined): void;
}

/**
 * A loopback `net.Server` for one service job when the kernel runs outside the cluster: every
 * connection is forwarded through the API server to a ready pod (a new pick per connection, so
 * replicas share the load and a replaced pod is found). The kernel's proxy calls `address`.
 */
export class PortForwardServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private url = '';

  private constructor(private readonly options: PortForwardOptions) {
    // Paused until the stream to the pod is open, so no byte the client sends first is lost.
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => void this.accept(socket));
  }

  static async open(options: PortForwardOptions): Promise<PortForwardServer> {
    const forward = new PortForwardServer(options);
    await new Promise<void>((resolve, reject) => {
      forward.server.once('error', reject);
      forward.server.listen(0, '127.0.0.1', () => resolve());
    });
    forward.url = `http://127.0.0.1:${(forward.server.address() as net.AddressInfo).port}`;
    return forward;
  }

  /** `http://127.0.0.1:<port>`. */
  get address(): string {
    return this.url;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async accept(socket: net.Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let pod: string | undefined;
    try {
      pod = await this.options.pickPod();
      if (!pod) throw new Error('no ready pod to forward to');
      if (socket.destroyed) return;
      await this.options.forwarder.forward(pod, this.options.port, socket);
      socket.resume();
    } catch (error) {
      this.options.onError(error as Error, pod);
      socket.destroy();
    }
  }
}
