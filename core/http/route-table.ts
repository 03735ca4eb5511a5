import type { FastifyInstance, RouteOptions } from 'fastify';

/** One method + URL the server answers, and whether it skips authentication. */
export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far, one entry per method (for audits such as the auth table test). */
    spindleRoutes(): RouteEntry[];
  }
}

/** Must run before any route is registered: it collects them through `onRoute`. */
export function collectRoutes(app: FastifyInstance): void {
  const seen: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    seen.push(route);
  });
  // Read `config` lazily: a later onRoute hook (the docs one) may still mark the route public.
  app.decorate('spindleRoutes', () =>
    seen.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
        method: String(method),
        url: route.url,
        public: route.config?.public === true,
      })),
    ),
  );
}
