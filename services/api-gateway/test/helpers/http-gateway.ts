import { connect, type AddressInfo } from 'node:net';
import { request as httpRequest, type Server } from 'node:http';
import { createLogger } from '@chat/platform';
import { loadConfig } from '../../src/config.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { UNREACHED_SERVICES } from './unreached-services.js';

/**
 * The whole gateway app in-process on a free loopback port, with `env` on top
 * of a minimal config, and no service behind it (a call to one fails) unless
 * `deps` puts one there; closed when the test ends. Answers its base URL.
 */
export async function startGatewayApp(
  t: { teardown: (fn: () => void) => void },
  env: Record<string, string> = {},
  deps: Partial<Omit<AppDeps, 'config'>> = {},
): Promise<string> {
  return (await startGatewayServer(t, env, deps)).url;
}

/** startGatewayApp, answering its server too (for a test that watches its connections). */
export async function startGatewayServer(
  t: { teardown: (fn: () => void) => void },
  env: Record<string, string> = {},
  deps: Partial<Omit<AppDeps, 'config'>> = {},
): Promise<{ url: string; server: Server }> {
  const config = loadConfig({
    APP_ID: 'api-gateway',
    APP_PORT: '0',
    DAPR_API_TOKEN: 'dapr-token-for-this-test',
    APP_API_TOKEN: 'app-token-for-this-test',
    ...env,
  });
  const app = createApp({
    config,
    logger: createLogger({ name: 'gateway-app-test', level: 'silent' }),
    ...UNREACHED_SERVICES,
    readiness: {},
    tokens: { verify: async () => Promise.reject(new Error('no token in this test')) },
    presence: { online: async () => new Set<string>() },
    ...deps,
  });
  const server = app.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  body: string;
}

/**
 * A GET with the path sent exactly as written (fetch would normalise `..`)
 * and only the headers given (fetch adds `cache-control: no-cache` next to
 * `if-none-match`, which rules out a 304).
 */
export function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/`, { path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: raw.toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One request written byte for byte, request line as given (fetch and
 * node's client upper-case a method), closed after the answer; resolves with
 * the status line answered.
 */
export function rawStatusLine(base: string, requestLine: string, headers: Record<string, string> = {}): Promise<string> {
  const { port } = new URL(base);
  const head = [requestLine, 'host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), 'connection: close', '', ''];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head.join('\r\n')));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('end', () => resolve(received.slice(0, received.indexOf('\r\n'))));
    socket.on('error', reject);
  });
}
