/** The HTTP status of a failed API call (client-node's `ApiException.code`), if it got an answer. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;

/** One line: the API's own Status message when there is one, else the transport error. */
export function describeKubeError(error: unknown): string {
  const status = statusOf(error);
  if (status === undefined) return error instanceof Error ? error.message : String(error);
  const body = (error as { body?: unknown }).body;
  let message: string | undefined;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | undefined;
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    if (typeof body === 'string' && body.trim()) message = body.trim().slice(0, 300);
  }
  return `HTTP ${status}${message ? `: ${message}` : status === 401 ? ': unauthorized' : ''}`;
}

/** Run `call`; a 404 gives `undefined` instead of an error. */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
