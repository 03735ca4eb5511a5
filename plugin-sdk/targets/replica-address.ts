/**
 * A replica's address (`ReplicaInfo.address`) is an HTTP base URL: `http://127.0.0.1:40123`, or,
 * for a replica served on a Unix socket (a sandboxed local job, whose network is its own),
 * `http+unix://<the socket's path, percent-encoded>`. Appending a path works the same for both.
 */

/** The address of a replica that serves HTTP on the Unix socket at `socketPath`. */
export function unixSocketAddress(socketPath: string): string {
  return `http+unix://${encodeURIComponent(socketPath)}`;
}

/** Where `http.request` sends a request for `url` (an address plus a path and query). */
export interface RequestTarget {
  socketPath?: string;
  hostname?: string;
  port?: string;
  /** Path and query. */
  path: string;
  /** For messages: `127.0.0.1:40123` or the socket's path. */
  label: string;
}

export function requestTarget(url: string): RequestTarget {
  const parsed = new URL(url);
  const path = `${parsed.pathname || '/'}${parsed.search}`;
  if (parsed.protocol === 'http+unix:') {
    const socketPath = decodeURIComponent(parsed.host);
    return { socketPath, path, label: socketPath };
  }
  return { hostname: parsed.hostname, port: parsed.port, path, label: parsed.host };
}
