import type { RequestInfo } from '../../plugin-sdk/hook-types.js';
import { CREDENTIAL_REQUEST_HEADERS } from '../manifest/plugin-permissions.js';

/**
 * What one plugin's auth taps see of a request: its method, URL, address and every header that
 * carries no credentials, plus the credential headers and the cookies its manifest names
 * (`permissions.request`). So no plugin reads another user's bearer token, or a session cookie,
 * unless it said it authenticates with it.
 */
export function requestView(permitted: {
  headers: readonly string[];
  cookies: readonly string[];
}): (request: RequestInfo) => RequestInfo {
  const headers = new Set(permitted.headers.map((h) => h.toLowerCase()));
  const cookies = new Set(permitted.cookies);
  const hidden = new Set(CREDENTIAL_REQUEST_HEADERS.filter((h) => !headers.has(h)));
  return (request) => {
    // Copied key by key (no `delete`, which would turn the object into a slow dictionary).
    const visible: Record<string, string | undefined> = {};
    for (const name in request.headers) if (!hidden.has(name)) visible[name] = request.headers[name];
    const jar: Record<string, string> = {};
    for (const name in request.cookies) if (cookies.has(name)) jar[name] = request.cookies[name]!;
    return { ...request, headers: visible, cookies: jar };
  };
}
