import { PUBLIC, commonParameters, errorResponse, headerRef, ok, schemaRef } from './common.js';
import type { Header, Paths } from './types.js';
import { DOCS_FILES } from '../docs-viewer/viewer.js';

const HEALTHY = {
  status: 'ok',
  services: { 'api-gateway': 'ok', 'auth-service': 'ok', 'profile-service': 'ok', 'chat-service': 'ok' },
};

const CSP_HEADER: Header = {
  description: 'What the page may load: scripts and styles from this origin only (none inline), images from here and `data:`, requests to this origin.',
  required: true,
  schema: { type: 'string' },
};

export const healthPaths: Paths = {
  '/api/health': {
    get: {
      operationId: 'getHealth',
      summary: 'Is every service up?',
      description:
        'The gateway reaches each service through Dapr service invocation, all at once, each within a short timeout (1.5 s by default), so a service that is down ' +
        'turns the answer into `503` with `status: "degraded"` and that service marked `down`, never a hang. No access token needed.',
      tags: ['Health'],
      security: PUBLIC,
      parameters: commonParameters(),
      responses: {
        200: ok('Every service answered.', schemaRef('Health'), HEALTHY),
        503: {
          description: 'At least one service is down; it is marked `down`. The body is the health report, not an error.',
          headers: { 'X-Request-Id': headerRef('XRequestId') },
          content: {
            'application/json': {
              schema: schemaRef('Health'),
              example: { status: 'degraded', services: { ...HEALTHY.services, 'profile-service': 'down' } },
            },
          },
        },
        500: errorResponse(500, 'An unexpected failure in the gateway itself.'),
      },
    },
  },
  '/api/openapi.json': {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      description: 'The OpenAPI 3.1 document of the public API (this one). No access token needed.',
      tags: ['Docs'],
      security: PUBLIC,
      parameters: commonParameters(),
      responses: {
        200: ok('The OpenAPI document.', { type: 'object', description: 'An OpenAPI 3.1.0 document.' }),
        500: errorResponse(500, 'An unexpected failure in the gateway itself.'),
      },
    },
  },
  '/api/docs': {
    get: {
      operationId: 'getDocs',
      summary: 'A page to read this document',
      description:
        'Swagger UI, served by the gateway itself (from the swagger-ui-dist package, never a CDN), reading `/api/openapi.json`: every operation, its parameters, bodies and responses, and "Try it out" against this gateway. ' +
        'The page loads only `/api/docs/{file}` and the document; its `Content-Security-Policy` allows scripts and styles from this origin only, none inline. No access token needed.',
      tags: ['Docs'],
      security: PUBLIC,
      parameters: commonParameters(),
      responses: {
        200: {
          description: 'The page.',
          headers: { 'X-Request-Id': headerRef('XRequestId'), 'Content-Security-Policy': CSP_HEADER },
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        500: errorResponse(500, 'An unexpected failure in the gateway itself.'),
      },
    },
  },
  '/api/docs/{file}': {
    get: {
      operationId: 'getDocsFile',
      summary: 'A script, style or icon of the docs page',
      description:
        "The files `GET /api/docs` loads: Swagger UI's own, and the script that starts it. They are revalidated on every load (`ETag`, `304`). " +
        'Any other name, or a name that tries to reach another folder (`..`, an encoded `/`): `404`. No access token needed. ' +
        'An addition to the first version of the contract.',
      tags: ['Docs'],
      security: PUBLIC,
      parameters: commonParameters({
        name: 'file',
        in: 'path',
        required: true,
        description: "The file's name.",
        schema: { type: 'string', enum: [...DOCS_FILES] },
      }),
      responses: {
        200: {
          description: 'The file.',
          headers: { 'X-Request-Id': headerRef('XRequestId'), ETag: headerRef('ETag'), 'Cache-Control': headerRef('CacheControl') },
          content: {
            'text/javascript': { schema: { type: 'string' } },
            'text/css': { schema: { type: 'string' } },
            'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
          },
        },
        304: {
          description: 'The file is unchanged since the `ETag` in `If-None-Match`; no body.',
          headers: { 'X-Request-Id': headerRef('XRequestId'), ETag: headerRef('ETag'), 'Cache-Control': headerRef('CacheControl') },
        },
        404: errorResponse(404, 'No file of the page has this name.'),
        500: errorResponse(500, 'An unexpected failure in the gateway itself.'),
      },
    },
  },
};
