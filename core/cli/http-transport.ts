import { CliError } from './io.js';

/** An error answer from the kernel: `{code, message, details}` with a KRN_ERR_* code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  url: string;
  token?: string | undefined;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method?: string;
  path: string;
  query?: Query;
  json?: unknown;
  /** A body sent as is; a stream is sent chunked, without buffering it. */
  raw?: { body: Uint8Array | ReadableStream<Uint8Array>; contentType: string };
  form?: FormData;
  accept?: string;
  /** Hand back error answers instead of throwing them (the job proxy passes the job's own). */
  anyStatus?: boolean;
}

/** Requests to a kernel: the URL, the token, JSON in and out, errors as `ApiError` or a `CliError` saying why. */
export class HttpTransport {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  protected async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the kernel at ${this.url} answered ${spec.path} with something that is not JSON`);
    }
  }

  private buildUrl(path: string, query: Query = {}): string {
    const url = new URL(this.url + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  protected async send(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = { accept: spec.accept ?? 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    // A FormData body gets its content type, with the boundary, from fetch itself.
    let body: Uint8Array | ReadableStream<Uint8Array> | string | FormData | undefined = spec.form;
    if (spec.raw) {
      headers['content-type'] = spec.raw.contentType;
      body = spec.raw.body;
    } else if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    }
    let response: Response;
    try {
      // `duplex` is required by fetch for a streamed body.
      const init: RequestInit & { duplex?: 'half' } = {
        method: spec.method ?? 'GET',
        headers,
        body,
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      };
      response = await this.fetchFn(this.buildUrl(spec.path, spec.query), init);
    } catch (error) {
      throw unreachable(this.url, error);
    }
    if (!response.ok && !spec.anyStatus) throw await toApiError(response);
    return response;
  }
}

function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string } }).cause;
  const reason = cause?.code ?? (error as Error).message;
  return new CliError(
    `the kernel is not reachable at ${url} (${reason}); start one with \`spindle start\`, or point --url / SPINDLE_URL at a running kernel`,
    { cause: error },
  );
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof body.code === 'string' && typeof body.message === 'string') {
      const details = body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : {};
      return new ApiError(response.status, body.code, body.message, details);
    }
  } catch {
    // Not JSON: a proxy or a crashed kernel; report the status and the start of the text.
  }
  const snippet = text.trim().slice(0, 200) || response.statusText;
  return new ApiError(response.status, `HTTP_${response.status}`, snippet);
}
