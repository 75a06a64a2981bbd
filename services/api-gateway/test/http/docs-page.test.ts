import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { swaggerUiFolder } from '../../src/http/docs-viewer/viewer.js';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { rawGet, startGatewayApp } from '../helpers/http-gateway.js';

// GET /api/docs (Swagger UI from swagger-ui-dist) and the files it loads, from the whole gateway app in-process.

const EXPECTED_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

const TYPE_BY_EXTENSION: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
};

/** The `src` of every script and the `href` of every link of the page. */
const referencedFiles = (html: string): string[] => [...html.matchAll(/<(?:script|link)\b[^>]*\s(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');

test('when /api/docs is asked for, it answers 200 HTML under a strict CSP, with no inline script or style', async (t) => {
  const url = await startGatewayApp(t);
  const response = await fetch(`${url}/api/docs`);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  t.deepEqual(response.headers.get('content-security-policy')?.split('; '), EXPECTED_CSP);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  t.is(response.headers.get('cache-control'), 'no-cache');
  t.truthy(response.headers.get('x-request-id'));
  const html = await response.text();
  t.regex(html, /^<!doctype html>/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.is(scripts.length, 2);
  for (const [, attributes, content] of scripts) {
    t.regex(attributes ?? '', /\ssrc="\/api\/docs\/[\w.-]+\.js"/, 'every script is a file of this origin');
    t.is(content, '', 'no inline script');
  }
  t.notRegex(html, /<style\b|\sstyle=|\son\w+=|javascript:/i, 'no inline style or handler');
  t.notRegex(html, /\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'nothing from another host');
  t.regex(html, /<div id="swagger-ui" data-openapi-url="\/api\/openapi\.json"><\/div>/);
});

test("when the page's files are asked for, each answers 200 with its content type, and they are the documented ones", async (t) => {
  const url = await startGatewayApp(t);
  const files = referencedFiles(await (await fetch(`${url}/api/docs`)).text());
  const documented = buildOpenApiDocument().paths['/api/docs/{file}']?.get?.parameters?.find((p) => 'name' in p && p.name === 'file');
  t.deepEqual(
    files.map((path) => path.replace('/api/docs/', '')).sort(),
    [...((documented && 'schema' in documented ? documented.schema['enum'] : []) as string[])].sort(),
    'the page loads exactly the files the document lists',
  );
  for (const path of files) {
    const response = await fetch(`${url}${path}`);
    t.is(response.status, 200, path);
    t.is(response.headers.get('content-type'), TYPE_BY_EXTENSION[path.slice(path.lastIndexOf('.') + 1)] ?? 'a type this test knows', path);
    t.is(response.headers.get('content-security-policy'), EXPECTED_CSP.join('; '), path);
    t.is(response.headers.get('x-content-type-options'), 'nosniff', path);
    t.true((await response.arrayBuffer()).byteLength > 100, path);
    const again = await rawGet(url, path, { 'if-none-match': response.headers.get('etag') ?? '' });
    t.is(again.status, 304, `${path} is revalidated`);
  }
});

test("when Swagger UI's bundle is asked for, it is the installed swagger-ui-dist's file, gzipped when accepted", async (t) => {
  const url = await startGatewayApp(t);
  const installed = readFileSync(join(swaggerUiFolder(), 'swagger-ui-bundle.js'));
  const zipped = await rawGet(url, '/api/docs/swagger-ui-bundle.js', { 'accept-encoding': 'gzip' });
  t.is(zipped.status, 200);
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.true(zipped.raw.length < installed.length / 2);
  t.true(gunzipSync(zipped.raw).equals(installed));
  const start = await (await fetch(`${url}/api/docs/start-swagger-ui.js`)).text();
  t.regex(start, /SwaggerUIBundle\(/);
  t.regex(start, /validatorUrl: null/, 'no validator on the internet is asked');
});

test("when a file name is unknown or tries to leave the folder in any encoding, the answer is 404 in the contract's error shape, never a file", async (t) => {
  const url = await startGatewayApp(t);
  const attempts = [
    '/api/docs/package.json',
    '/api/docs/index.html',
    '/api/docs/oauth2-redirect.html',
    '/api/docs/swagger-ui-bundle.js.map',
    '/api/docs/SWAGGER-UI.CSS',
    '/api/docs/',
    '/api/docs/..',
    '/api/docs/%2e%2e',
    '/api/docs/../package.json',
    '/api/docs/../../../package.json',
    '/api/docs/..%2Fpackage.json',
    '/api/docs/..%2f..%2f..%2fpackage.json',
    '/api/docs/%2e%2e%2fpackage.json',
    '/api/docs/%2e%2e%2F%2e%2e%2Fviewer.ts',
    '/api/docs/%252e%252e%252fpackage.json',
    '/api/docs/..%5cpackage.json',
    '/api/docs/%c0%ae%c0%ae%2fpackage.json',
    '/api/docs/swagger-ui-dist%2fpackage.json',
    '/api/docs/swagger-ui.css%00.js',
    '/api/docs/swagger-ui.css/',
    '/api/docs/swagger-ui.css/..',
    '/api/docs/%2fetc%2fpasswd',
  ];
  for (const path of attempts) {
    const response = await rawGet(url, path);
    t.is(response.status, 404, path);
    t.is(response.headers['content-type'], 'application/json; charset=utf-8', path);
    t.like(JSON.parse(response.body), { error: { code: 'not_found' } }, path);
  }
});
