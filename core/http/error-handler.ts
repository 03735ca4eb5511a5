import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKernelError, KernelError } from '../errors/kernel-error.js';

/** fastify / @fastify/multipart codes meaning "the body is over the limit". */
const TOO_LARGE_CODES = new Set([
  'FST_ERR_CTP_BODY_TOO_LARGE',
  'FST_REQ_FILE_TOO_LARGE',
  'FST_PARTS_LIMIT',
  'FST_FILES_LIMIT',
  'FST_FIELDS_LIMIT',
]);

const ACCEPTED_MEDIA_TYPES =
  'application/json, application/zip, application/octet-stream, multipart/form-data, text/plain';

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

function what(message: unknown): string {
  return String(message ?? 'bad request').replace(/\.\s*$/, '');
}

/** Turn a thrown value from a route or from fastify itself into a KernelError, or undefined if unknown. */
export function mapFrameworkError(error: unknown, request: FastifyRequest, bodyLimit: number): KernelError | undefined {
  if (isKernelError(error)) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as FrameworkError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (e.validation) {
    return new KernelError('KRN_ERR_BAD_REQUEST', `the request is invalid: ${what(e.message)}`, {
      details: { validation: e.validation, part: e.validationContext },
    });
  }
  if ((typeof e.code === 'string' && TOO_LARGE_CODES.has(e.code)) || status === 413) {
    return new KernelError('KRN_ERR_ZIP_TOO_LARGE', `the request body is larger than the limit of ${bodyLimit} bytes`, {
      details: { limitBytes: bodyLimit },
    });
  }
  if (status === 404) return new KernelError('KRN_ERR_NOT_FOUND', what(e.message));
  if (status === 415) {
    const contentType = request.headers['content-type'] ?? '(none)';
    return new KernelError(
      'KRN_ERR_BAD_REQUEST',
      `Content-Type "${contentType}" is not supported; send one of ${ACCEPTED_MEDIA_TYPES}`,
      { status: 415, details: { contentType } },
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new KernelError('KRN_ERR_BAD_REQUEST', what(e.message), { status });
  }
  return undefined;
}

function routeOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? request.url;
  return `${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`;
}

/** Every error leaves as `{code, message, details}`; anything unrecognised is a logged 500. */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(async (error, request, reply) => {
    let kernelError = mapFrameworkError(error, request, bodyLimit);
    if (!kernelError) {
      request.log.error({ err: error }, `unhandled error in ${routeOf(request)}`);
      kernelError = new KernelError('KRN_ERR_INTERNAL', `an unexpected error occurred (request ${request.id})`, {
        details: { requestId: request.id },
      });
    } else if (kernelError.status >= 500) {
      request.log.error({ err: error }, `${routeOf(request)} failed`);
    }
    if (kernelError.code === 'KRN_ERR_UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
    return reply.code(kernelError.status).send(kernelError.toJSON());
  });

  app.setNotFoundHandler(async (request) => {
    throw new KernelError('KRN_ERR_NOT_FOUND', `no route ${routeOf(request)}`);
  });
}
