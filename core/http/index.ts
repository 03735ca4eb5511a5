export { buildHttpServer, DEFAULT_BODY_LIMIT_BYTES, type HttpServerOptions } from './build-http-server.js';
export { HTTP_DURATION_METRIC } from './http-metrics.js';
export type { RouteEntry } from './route-table.js';
