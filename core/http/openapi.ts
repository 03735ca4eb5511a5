import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

/**
 * OpenAPI 3 from the route schemas, UI and JSON at `/docs`. Register before any route: swagger
 * collects routes through `onRoute`. The docs hold no state, so their routes are public.
 */
export async function registerOpenApi(app: FastifyInstance, kernelVersion: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Spindle kernel API',
        version: kernelVersion,
        description: 'Plugin lifecycle, configuration, actions, plugin routes, activity and system endpoints.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          spindleAuth: { type: 'apiKey', in: 'header', name: 'X-Spindle-Auth' },
        },
      },
      security: [{ bearerAuth: [] }, { spindleAuth: [] }],
    },
    // Name components after their $id instead of def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });

  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  });
}
