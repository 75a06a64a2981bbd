import { ApiError } from './errors.js';

export interface RequestOptions {
  /** A JSON body. */
  json?: unknown;
  /** Raw bytes with their content type (the avatar upload). */
  raw?: Blob;
  token?: string;
  signal?: AbortSignal;
}

/**
 * One call to the gateway's REST API (same origin: the page is served by the
 * gateway). JSON in and out; `204` resolves to `undefined`; any other
 * non-2xx answer throws the contract's error as an `ApiError`, and no answer
 * at all throws `ApiError('network')`.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw) {
    headers['content-type'] = options.raw.type;
    body = options.raw;
  }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body ?? null, signal: options.signal ?? null, credentials: 'omit' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('network', 'Cannot reach the server');
  }
  if (!response.ok) throw await ApiError.fromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** `?a=1&b=2` from the defined entries, or an empty string. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}
