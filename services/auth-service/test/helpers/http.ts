import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  ms: number;
}

/**
 * A loopback source address of its own (127.x.y.z: all of 127/8 reaches the
 * gateway on 127.0.0.1), chosen at random so that each test, and each run
 * against a reused Redis database, has its own per-address counter.
 */
export const freshAddress = (): string => {
  const [a, b, c] = randomBytes(3);
  return `127.${20 + (a! % 200)}.${b!}.${1 + (c! % 254)}`;
};

/**
 * A client of the gateway that connects from `localAddress`. Node's fetch
 * cannot choose its source address, so this speaks node:http.
 */
export function apiClient(baseUrl: string, localAddress = freshAddress(), clientOptions: { timeoutMs?: number } = {}) {
  const call = (
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> => {
    const url = new URL(path, baseUrl);
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started });
        });
        res.on('error', reject);
      });
      req.setTimeout(clientOptions.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  };
  return {
    address: localAddress,
    get: (path: string, options: { token?: string; headers?: Record<string, string> } = {}) => call('GET', path, options),
    post: (path: string, body?: unknown, options: { token?: string; headers?: Record<string, string>; rawBody?: string } = {}) =>
      call('POST', path, { ...options, body }),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
