import { describeError, KernelError } from '../errors/kernel-error.js';
import { formatBytes } from './zip-limits.js';

export interface FetchZipOptions {
  /** Stop reading and refuse past this many bytes (the limits' maxZipBytes). */
  maxBytes: number;
  /** For the whole download, headers and body. Default 60 s. */
  timeoutMs?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;

/**
 * Downloads a plugin ZIP over http(s) into memory, never holding more than `maxBytes`.
 * Refuses other schemes and unparsable URLs (KRN_ERR_BAD_REQUEST), non-2xx answers, network
 * errors and timeouts (KRN_ERR_DOWNLOAD_FAILED), and oversized bodies (KRN_ERR_ZIP_TOO_LARGE).
 * Credentials in the URL (`https://user:token@host/p.zip`) are sent as Basic auth, which fetch
 * refuses to take from the URL itself, and never appear in messages.
 */
export async function fetchZip(url: string, options: FetchZipOptions): Promise<Buffer> {
  const parsed = parseUrl(url);
  const shown = redact(parsed);
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (what: string, cause?: unknown, details: Record<string, unknown> = {}): KernelError =>
    new KernelError('KRN_ERR_DOWNLOAD_FAILED', `download of ${shown} ${what}`, {
      details: { url: shown, ...details },
      cause,
    });
  const explain = (error: unknown): string =>
    signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : `failed (${describeError((error as { cause?: unknown }).cause ?? error)})`;

  let response: Response;
  try {
    response = await fetch(shown, { signal, redirect: 'follow', headers: basicAuth(parsed) });
  } catch (error) {
    throw failed(explain(error), error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw failed(`answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, undefined, {
      status: response.status,
    });
  }
  const tooLarge = (): KernelError =>
    new KernelError(
      'KRN_ERR_ZIP_TOO_LARGE',
      `download of ${shown} is larger than the limit of ${formatBytes(options.maxBytes)}`,
      {
        details: { url: shown, limit: options.maxBytes },
      },
    );
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  try {
    return await readCapped(response, options.maxBytes, tooLarge);
  } catch (error) {
    if (error instanceof KernelError) throw error;
    throw failed(explain(error), error);
  }
}

async function readCapped(response: Response, maxBytes: number, tooLarge: () => KernelError): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KernelError('KRN_ERR_BAD_REQUEST', `${JSON.stringify(url)} is not a valid URL`, { details: { url } });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new KernelError(
      'KRN_ERR_BAD_REQUEST',
      `plugins can be downloaded over http or https only, not ${parsed.protocol.replace(/:$/, '')}`,
      {
        details: { url: redact(parsed) },
      },
    );
  }
  return parsed;
}

function basicAuth(url: URL): Record<string, string> {
  if (!url.username && !url.password) return {};
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

function redact(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
