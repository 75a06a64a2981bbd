/**
 * Limits per client address on engine.io connections, the transport under
 * every socket, checked before any Socket.IO packet: engine.io asks
 * `allowRequest` on every handshake (long-polling's first request and a
 * WebSocket's upgrade alike), before it opens a connection. An address may
 * open connections at `rate`, and hold at most `maxOpen` of them at once.
 *
 * An admitted handshake holds its place from `allowRequest` on, so parallel
 * handshakes cannot overshoot; the place passes to the connection when it
 * opens and is freed when it closes, or when the handshake fails (engine.io's
 * `connection_error`, or the TCP connection closing before any connection
 * opened: a WebSocket upgrade that `ws` refused).
 *
 * A refused handshake gets engine.io's answer: `403` with
 * `{"code": 4, "message": ...}` to a polling request, `400` with the message
 * to a WebSocket upgrade.
 */
import type { IncomingMessage } from 'node:http';
import { addressKey } from '@chat/platform';
import type { Rate } from './limits.js';
import { RateLimiter } from './rate-limiter.js';

export interface TransportAdmissionSettings {
  /** Connections an address may open, as a token bucket. */
  rate: Rate;
  /** Connections an address may hold open at once. */
  maxOpen: number;
}

/** The part of an engine.io server this needs. */
export interface AdmittingEngineLike {
  on(event: 'connection', listener: (conn: { request: IncomingMessage; once(event: 'close', listener: () => void): unknown }) => void): unknown;
  on(event: 'connection_error', listener: (error: { req: IncomingMessage }) => void): unknown;
}

export type AllowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => void;

export interface TransportAdmission {
  /** engine.io's `allowRequest` option. */
  allowRequest: AllowRequest;
  /** Hands each admitted handshake's place to the connection it opened; call once the engine exists. */
  track(engine: AdmittingEngineLike): void;
  /** Forgets full buckets; call now and then. */
  prune(): void;
}

export function transportAdmission(settings: TransportAdmissionSettings, addressOf: (req: IncomingMessage) => string): TransportAdmission {
  const opened = new RateLimiter(settings.rate);
  const open = new Map<string, number>();
  /** Admitted handshakes that have not opened a connection yet: how to free their place, and stop watching their TCP socket. */
  const pending = new WeakMap<IncomingMessage, { release: () => void; unwatch: () => void }>();

  const settle = (req: IncomingMessage, then: (release: () => void) => void) => {
    const entry = pending.get(req);
    if (!entry) return;
    pending.delete(req);
    entry.unwatch();
    then(entry.release);
  };

  return {
    allowRequest(req, callback) {
      const key = addressKey(addressOf(req));
      const held = open.get(key) ?? 0;
      // The cap first: an address at its cap spends nothing by trying again.
      if (held >= settings.maxOpen) return callback(`Too many open connections from this address (at most ${settings.maxOpen}); close one first`, false);
      const taken = opened.take(key);
      if (!taken.ok) return callback(`Too many connection attempts from this address; retry in ${taken.retryAfterMs} ms`, false);
      open.set(key, held + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      };
      const tcp = req.socket;
      const tcpClosed = () => settle(req, (free) => free());
      tcp.once('close', tcpClosed);
      pending.set(req, { release, unwatch: () => tcp.off('close', tcpClosed) });
      callback(null, true);
    },
    track(engine) {
      engine.on('connection', (conn) => settle(conn.request, (release) => conn.once('close', release)));
      engine.on('connection_error', ({ req }) => settle(req, (release) => release()));
    },
    prune: () => opened.prune(),
  };
}
