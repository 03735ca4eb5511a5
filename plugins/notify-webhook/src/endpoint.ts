/** One configured endpoint, and one POST to it. Nothing here ever logs or returns the full URL. */
import type { Format } from './formats.js';
import { deliveryHeaders } from './signing.js';

export const DEFAULT_EVENTS: readonly string[] = Object.freeze([
  'job.deployed',
  'job.failed',
  'job.deleted',
  'job.lost',
  'plugin.installed',
  'plugin.failed',
  'plugin.uninstalled',
]);

export interface EndpointConfig {
  url: string;
  format?: Format;
  events?: string[];
  secret?: string;
}

export interface Endpoint {
  index: number;
  /** `host[:port]`: the only part of the URL that appears in logs and action results. */
  label: string;
  /** Without `user:password@` (fetch refuses those, and its error would echo the URL). */
  url: string;
  format: Format;
  events: readonly string[];
  secret?: string;
  authorization?: string;
}

export function parseEndpoint(config: EndpointConfig, index: number): Endpoint {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new Error(`endpoints[${index}].url is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`endpoints[${index}].url must be http or https`);
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return {
    index,
    label: url.host,
    url: url.toString(),
    format: config.format ?? 'json',
    events: config.events ?? DEFAULT_EVENTS,
    secret: config.secret || undefined,
    authorization,
  };
}

export interface Request {
  body: Uint8Array;
  eventType: string;
  deliveryId: string;
}

/** An HTTP status, or why there was none. */
export type Outcome = { status: number } | { error: string };

export const succeeded = (outcome: Outcome): boolean =>
  'status' in outcome && outcome.status >= 200 && outcome.status < 300;

export const describeOutcome = (outcome: Outcome): string =>
  'status' in outcome ? `HTTP ${outcome.status}` : outcome.error;

function describeFailure(error: unknown, endpoint: Endpoint, timeoutMs: number): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  let message: string;
  if (err?.name === 'TimeoutError') message = `no answer within ${timeoutMs} ms`;
  else if (err?.name === 'AbortError') message = 'aborted';
  // An AggregateError cause (several addresses tried) has an empty message but a code.
  else message = err?.cause?.message || err?.cause?.code || err?.message || String(error);
  return message.split(endpoint.url).join(endpoint.label);
}

export interface PostOptions {
  timeoutMs: number;
  /** Aborts the request when the plugin stops. */
  signal: AbortSignal;
  userAgent: string;
}

/** POST once. Never throws: a network error or timeout comes back as `{error}`. */
export async function post(endpoint: Endpoint, request: Request, options: PostOptions): Promise<Outcome> {
  const headers = deliveryHeaders({
    ...request,
    secret: endpoint.secret,
    authorization: endpoint.authorization,
    userAgent: options.userAgent,
  });
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers,
      body: request.body,
      // A redirect would turn the POST into a GET elsewhere: count it as a failed attempt instead.
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal]),
    });
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status };
  } catch (error) {
    return { error: describeFailure(error, endpoint, options.timeoutMs) };
  }
}
