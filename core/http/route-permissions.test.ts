import { describe, expect, it } from 'vitest';
import { buildHttpServer } from './build-http-server.js';
import { createFakeKernel } from './fake-kernel.test-helper.js';
import { permissionOf, ROUTE_PERMISSIONS } from './route-permissions.js';

describe('route permissions', () => {
  it('every route is public or declares the permission it checks (table-driven over the route list)', async () => {
    const app = await buildHttpServer(createFakeKernel(), { logger: false });
    await app.ready();
    const unchecked = app
      .spindleRoutes()
      .filter((route) => !route.public)
      .filter((route) => permissionOf(route.method, route.url) === undefined)
      .map((route) => `${route.method} ${route.url}`);
    expect(unchecked).toEqual([]);
    const publicRoutes = app
      .spindleRoutes()
      .filter((route) => route.public)
      .map((route) => route.url);
    expect(publicRoutes.every((url) => url === '/health' || url.startsWith('/docs'))).toBe(true);
    await app.close();
  });

  it('declares no permission for a route that does not exist', async () => {
    const app = await buildHttpServer(createFakeKernel(), { logger: false });
    await app.ready();
    const urls = new Set(app.spindleRoutes().map((route) => `${route.method} ${route.url}`));
    const stale = Object.keys(ROUTE_PERMISSIONS).filter((key) => !key.startsWith('* ') && !urls.has(key));
    expect(stale).toEqual([]);
    await app.close();
  });
});
