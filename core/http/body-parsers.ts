import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';

/** Media types read as a raw ZIP (a Buffer). */
export const ZIP_MEDIA_TYPES: readonly string[] = [
  'application/zip',
  'application/x-zip-compressed',
  'application/octet-stream',
];

/**
 * Raw ZIP bodies become Buffers, multipart is left for the route to stream (`request.file()`), and
 * an empty JSON body reads as `undefined` instead of failing (clients send `Content-Type:
 * application/json` on bodiless POSTs such as enable/disable).
 */
export async function registerBodyParsers(app: FastifyInstance, bodyLimit: number): Promise<void> {
  app.addContentTypeParser([...ZIP_MEDIA_TYPES], { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });

  await app.register(multipart, { limits: { fileSize: bodyLimit, fields: 100 }, throwFileSizeLimit: true });
}
