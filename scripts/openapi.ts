/**
 * Prints the public API's OpenAPI 3.1 document (the one the gateway serves
 * at /api/openapi.json) to stdout: `npm run openapi > openapi.json`.
 * `--server-url <url>` sets its server address.
 */
import { buildOpenApiDocument } from '../services/api-gateway/src/http/openapi/document.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const at = process.argv.indexOf('--server-url');
const serverUrl = at === -1 ? undefined : process.argv[at + 1];
process.stdout.write(`${JSON.stringify(buildOpenApiDocument(serverUrl === undefined ? {} : { serverUrl }), null, 2)}\n`);
