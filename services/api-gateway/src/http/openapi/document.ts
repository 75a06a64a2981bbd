import { authPaths } from './auth.js';
import { components } from './components.js';
import { healthPaths } from './health.js';
import { profilePaths } from './profiles.js';
import { realtimeMarkdown, socketIo } from './realtime.js';
import { roomPaths } from './rooms.js';
import type { OpenApiDocument } from './types.js';

export type { OpenApiDocument, Operation, HttpMethod, PathItem, Schema } from './types.js';

const CONVENTIONS = `The public API of the chat platform (contract v1). Every request goes to the API gateway; no client talks to another service.

## Conventions

- **JSON in, JSON out** (\`application/json; charset=utf-8\`), except the avatar upload and download (raw image bytes) and \`GET /api/docs\` (HTML) with its files (\`GET /api/docs/{file}\`). Responses may gain new fields over time: ignore the ones you do not know. A change to this contract only adds; nothing is renamed.
- **Bodies**: not valid JSON: \`400 invalid_json\`. Over 64 KiB (JSON) or 1 MiB (avatar): \`413 payload_too_large\`. A body of the wrong content type: \`415 unsupported_media_type\`. Unknown fields in a request body: \`400 validation_failed\`.
- **Lengths** are counted in Unicode code points (as JSON Schema \`minLength\`/\`maxLength\` do).
- **Authentication**: the routes marked with the \`bearerAuth\` security scheme take \`Authorization: Bearer <accessToken>\`; a missing, malformed, expired or forged token answers \`401 unauthenticated\` with \`WWW-Authenticate: Bearer\`. Access tokens are JWTs signed with ES256, valid for 15 minutes; renew them with \`POST /api/auth/refresh\` before they expire (or on a 401).
- **Errors** all have one shape, whatever service produced them: \`{"error": {"code", "message", "details"?}, "requestId"}\` (schema \`Error\`). Validation errors list each bad field in \`details\` as \`{"path": "body.username", "message": "..."}\`. Branch on \`error.code\` and the status, never on \`message\`.
- **Status codes**: 400 \`validation_failed\` / \`invalid_json\`, 401 \`unauthenticated\` / \`invalid_credentials\`, 403 \`forbidden\`, 404 \`not_found\`, 409 \`conflict\` (taken username, stale edit), 413 \`payload_too_large\`, 415 \`unsupported_media_type\`, 429 \`rate_limited\` (with \`Retry-After\` seconds), 500 \`internal\`, 503 \`unavailable\` (a service or its sidecar is down: the gateway answers within its timeout, never hangs; \`Retry-After\` says when to retry). An unknown path answers \`404 not_found\`, and so does a method a path does not list (unless the request is refused before routing: a malformed id, a body of the wrong type). \`HEAD\` of a \`GET\` operation answers the \`GET\`'s status and headers without the body.
- **Request ids**: every response carries \`X-Request-Id\`: the one the client sent (1–128 characters of letters, digits, \`_ . : -\`), else a generated one. The same id reaches every service the request touched.
- **Ids** are opaque strings (UUIDs): compare them, never parse them. **Timestamps** are ISO-8601 strings in UTC (\`2025-01-31T12:00:00.000Z\`).
- **Messages** have a \`seq\` per room that starts at 1 and has no gaps and no duplicates, whatever the number of concurrent senders and service replicas. History pages are ascending by \`seq\`; cursors (\`before\`, \`after\`) are exclusive \`seq\` values.
- **Visibility**: only members read or write a room's messages (\`403\` otherwise), and a room the caller may not even see (a private room or \`dm\` it is not in, or no room at all) answers \`404\`.
- **Rate limits**: the gateway limits requests per client address and per account, most strictly on sign-in; over a limit it answers \`429 rate_limited\` with \`Retry-After\`. The thresholds are not part of the contract.
`;

/**
 * Builds the OpenAPI 3.1 document of the public API (docs/api.md): every REST
 * operation, the shared schemas, and the Socket.IO contract as `x-socket-io`.
 * A new object each call; the caller may keep it.
 */
export function buildOpenApiDocument(options: { serverUrl?: string } = {}): OpenApiDocument {
  // The path modules are shared constants: clone, so a caller that edits or
  // dereferences its document (validators do) never changes the next one.
  return structuredClone({
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Chat platform API',
      version: '1.0.0',
      summary: 'REST and Socket.IO API of the chat platform, served by the API gateway.',
      description: `${CONVENTIONS}\n${realtimeMarkdown()}\n`,
    },
    servers: [{ url: options.serverUrl ?? 'http://127.0.0.1:8080', description: 'The API gateway (default local address).' }],
    tags: [
      { name: 'Auth', description: 'Accounts, sessions and tokens.' },
      { name: 'Profiles', description: 'Display names, bios, avatars and settings.' },
      { name: 'Rooms', description: 'Channels: create, discover, join, leave, members.' },
      { name: 'Direct messages', description: 'The one private room of two users.' },
      { name: 'Messages', description: 'History, sending, editing, deleting, read markers.' },
      { name: 'Health', description: 'Whether every service is up.' },
      { name: 'Docs', description: 'This document and a page to read it.' },
    ],
    paths: { ...authPaths, ...profilePaths, ...roomPaths, ...healthPaths },
    components,
    'x-socket-io': socketIo,
  } satisfies OpenApiDocument);
}
