import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/platform';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
type PayloadOf<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

interface Teardown {
  teardown: (fn: () => void | Promise<void>) => void;
}

/**
 * A connected Socket.IO client that records every event it receives, for
 * tests: `next(event, match)` resolves with the first recorded event that
 * matches (already received or still to come) within a deadline, and
 * `received(event)` lists what came so far. Closed by the test's teardown.
 */
export interface TestSocket {
  socket: ClientSocket;
  received<E extends EventName>(event: E): Array<PayloadOf<E>>;
  next<E extends EventName>(event: E, match?: (payload: PayloadOf<E>) => boolean, timeoutMs?: number): Promise<PayloadOf<E>>;
  /** Resolves when the server closed the connection, with the reason. */
  closed(timeoutMs?: number): Promise<string>;
  close(): void;
}

const options = (token: string | undefined, headers?: Record<string, string>) => ({
  path: '/socket.io',
  transports: ['websocket'],
  reconnection: false,
  forceNew: true,
  timeout: 10_000,
  ...(token === undefined ? {} : { auth: { token } }),
  ...(headers ? { extraHeaders: headers } : {}),
});

export async function connectSocket(t: Teardown, url: string, token: string): Promise<TestSocket> {
  const socket: ClientSocket = io(url, options(token));
  t.teardown(() => {
    socket.close();
  });
  const log: Array<{ event: string; payload: unknown }> = [];
  const waiters = new Set<(event: string, payload: unknown) => void>();
  socket.onAny((event: string, payload: unknown) => {
    log.push({ event, payload });
    for (const waiter of [...waiters]) waiter(event, payload);
  });
  let disconnectReason: string | undefined;
  const disconnectWaiters = new Set<(reason: string) => void>();
  socket.on('disconnect', (reason) => {
    disconnectReason = reason;
    for (const waiter of disconnectWaiters) waiter(reason);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });

  return {
    socket,
    received: <E extends EventName>(event: E) => log.filter((e) => e.event === event).map((e) => e.payload as PayloadOf<E>),
    next<E extends EventName>(event: E, match: (payload: PayloadOf<E>) => boolean = () => true, timeoutMs = 10_000) {
      const found = log.find((e) => e.event === event && match(e.payload as PayloadOf<E>));
      if (found) return Promise.resolve(found.payload as PayloadOf<E>);
      return new Promise<PayloadOf<E>>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for "${event}" (received: ${JSON.stringify(log.map((e) => e.event))})`));
        }, timeoutMs);
        const waiter = (name: string, payload: unknown) => {
          if (name !== event || !match(payload as PayloadOf<E>)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(payload as PayloadOf<E>);
        };
        waiters.add(waiter);
      });
    },
    closed(timeoutMs = 10_000) {
      if (disconnectReason !== undefined) return Promise.resolve(disconnectReason);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for the server to close`)), timeoutMs);
        disconnectWaiters.add((reason) => {
          clearTimeout(timer);
          resolve(reason);
        });
      });
    },
    close: () => {
      socket.close();
    },
  };
}

/** Connects with `token` (or none) and resolves with the connect_error the server answered. */
export async function connectError(url: string, token?: string, headers?: Record<string, string>): Promise<Error & { data?: unknown }> {
  const socket: ClientSocket = io(url, options(token, headers));
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('The server accepted the connection')));
      socket.once('connect_error', (error) => resolve(error as Error & { data?: unknown }));
    });
  } finally {
    socket.close();
  }
}
