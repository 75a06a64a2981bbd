import { PUBLIC, commonParameters, errorResponse, headerRef, ok, schemaRef } from './common.js';
import type { Paths } from './types.js';

const HEALTHY = {
  status: 'ok',
  services: { 'api-gateway': 'ok', 'auth-service': 'ok', 'profile-service': 'ok', 'chat-service': 'ok' },
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
        'A self-contained HTML page that loads `/api/openapi.json` and shows every operation, its parameters, bodies and responses. It loads nothing from elsewhere. No access token needed.',
      tags: ['Docs'],
      security: PUBLIC,
      parameters: commonParameters(),
      responses: {
        200: {
          description: 'The page.',
          headers: { 'X-Request-Id': headerRef('XRequestId') },
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        500: errorResponse(500, 'An unexpected failure in the gateway itself.'),
      },
    },
  },
};
