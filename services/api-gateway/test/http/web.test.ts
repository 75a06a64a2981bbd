import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { rawGet, startGatewayApp } from '../helpers/http-gateway.js';

// The web client's files as the gateway serves them (src/http/routes/web.ts):
// a built folder made here, the whole gateway app in-process.

const INDEX = '<!doctype html><title>chat</title><script type="module" src="/assets/index-Ab12Cd.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

function builtClient(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'web-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'assets', 'nested'), { recursive: true });
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'assets', 'index-Ab12Cd.js'), SCRIPT);
  writeFileSync(join(root, 'assets', 'index-Ef34Gh.css'), 'body{color:red}');
  writeFileSync(join(root, 'assets', 'notes.txt'), 'not a type the client uses');
  writeFileSync(join(root, 'assets', 'nested', 'deep.js'), 'nested');
  // Outside the served folder: what a traversal would try to reach.
  writeFileSync(join(dir, 'secret.js'), 'SECRET');
  return root;
}

const gateway = (t: Parameters<typeof builtClient>[0], webRoot: string) => startGatewayApp(t, { WEB_ROOT: webRoot });

test('when the client is built, / and /index.html answer the page with no-cache, a strict CSP and nosniff, and 304 when unchanged', async (t) => {
  const url = await gateway(t, builtClient(t));
  for (const path of ['/', '/index.html']) {
    const page = await fetch(`${url}${path}`);
    t.is(page.status, 200);
    t.is(page.headers.get('content-type'), 'text/html; charset=utf-8');
    t.is(page.headers.get('cache-control'), 'no-cache');
    t.is(page.headers.get('x-content-type-options'), 'nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    t.regex(csp, /default-src 'none'/);
    t.regex(csp, /script-src 'self'(;|$)/);
    t.notRegex(csp, /unsafe-inline|unsafe-eval|\*/);
    // Images from this origin only: another user's avatarUrl must not make the reader's browser call its server.
    t.regex(csp, /img-src 'self' blob:(;|$)/);
    t.notRegex(csp, /https:|http:|data:/);
    t.is(await page.text(), INDEX);
    const again = await rawGet(url, path, { 'if-none-match': page.headers.get('etag') ?? '' });
    t.is(again.status, 304);
    t.is(again.body, '');
  }
});

test('when an asset is asked for, it is served with its type and a year of immutable caching, gzipped when accepted', async (t) => {
  const url = await gateway(t, builtClient(t));
  const plain = await fetch(`${url}/assets/index-Ab12Cd.js`, { headers: { 'accept-encoding': 'identity' } });
  t.is(plain.status, 200);
  t.is(plain.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.is(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.is(plain.headers.get('x-content-type-options'), 'nosniff');
  t.is(plain.headers.get('content-encoding'), null);
  t.is(await plain.text(), SCRIPT);

  const zipped = await rawGet(url, '/assets/index-Ab12Cd.js', { 'accept-encoding': 'gzip' });
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.true(zipped.raw.length < SCRIPT.length / 4);
  t.is(gunzipSync(zipped.raw).toString(), SCRIPT);

  const css = await fetch(`${url}/assets/index-Ef34Gh.css`);
  t.is(css.headers.get('content-type'), 'text/css; charset=utf-8');
  t.is(await css.text(), 'body{color:red}');
});

test('when a path names no built file, or tries to leave the folder in any encoding, the answer is 404 in the contract shape', async (t) => {
  const url = await gateway(t, builtClient(t));
  const attempts = [
    '/assets/missing-123.js',
    '/assets/notes.txt',
    '/assets/nested/deep.js',
    '/assets/nested%2Fdeep.js',
    '/assets/../../secret.js',
    '/assets/..%2F..%2Fsecret.js',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.js',
    '/assets/%252e%252e%252fsecret.js',
    '/assets/..%5c..%5csecret.js',
    '/assets/%c0%ae%c0%ae%2fsecret.js',
    '/assets/index-Ab12Cd.js%00.html',
    '/assets/',
    '/secret.js',
    '/index.htm',
    '/assets',
  ];
  for (const path of attempts) {
    const response = await rawGet(url, path);
    t.is(response.status, 404, path);
    t.false(response.body.includes('SECRET'), path);
    t.like(JSON.parse(response.body), { error: { code: 'not_found' } }, path);
  }
});

test('when the client is served, the API, the docs and the probes still answer as before', async (t) => {
  const url = await gateway(t, builtClient(t));
  t.is((await fetch(`${url}/healthz`)).status, 200);
  t.is((await fetch(`${url}/api/openapi.json`)).status, 200);
  const me = await fetch(`${url}/api/auth/me`);
  t.is(me.status, 401);
  t.like(await me.json(), { error: { code: 'unauthenticated' } });
  const unknown = await fetch(`${url}/api/index.html`);
  t.is(unknown.status, 404);
  t.is(unknown.headers.get('content-type'), 'application/json; charset=utf-8');
});

test('when the client is not built, / answers 404 saying so, and the API is unaffected', async (t) => {
  const url = await gateway(t, join(tmpdir(), 'no-such-web-build'));
  const page = await fetch(`${url}/`);
  t.is(page.status, 404);
  t.like(await page.json(), { error: { code: 'not_found', message: 'The web client is not built on this server (npm run build -w web)' } });
  t.is((await fetch(`${url}/api/openapi.json`)).status, 200);
});
