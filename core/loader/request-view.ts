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
  const hidden = CREDENTIAL_REQUEST_HEADERS.filter((h) => !headers.has(h));
  return (request) => {
    const visible: Record<string, string | undefined> = { ...request.headers };
    for (const name of hidden) delete visible[name];
    const jar: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.cookies)) if (cookies.has(name)) jar[name] = value;
    return { ...request, headers: visible, cookies: jar };
  };
}
