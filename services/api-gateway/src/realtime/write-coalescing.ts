/**
 * One write per flush, not one per packet. While a WebSocket write is under
 * way, engine.io queues a socket's packets and then hands them to the
 * transport together (its `flush` event); `ws` writes each as its own frame,
 * each frame one `writev` system call. A batch of 17 messages into a room of
 * 10 was 170 calls, the gateway's biggest single cost (docs/benchmarks.md).
 * Corking the TCP socket for the flush sends its frames in one call; the
 * frames, their order and what the client sees are unchanged.
 *
 * The TCP socket under a WebSocket transport is not public API: engine.io's
 * transport keeps the `ws` socket as `socket`, which keeps its net.Socket as
 * `_socket` (engine.io itself reaches into `ws` the same way). Where either is
 * missing (a polling transport, another `ws`), nothing is corked; a test
 * (write-coalescing.test.ts) fails if the path stops being found.
 */
import type { Socket as NetSocket } from 'node:net';

/** The part of an engine.io socket this needs. */
export interface EngineSocketLike {
  transport?: { name?: string; socket?: { _socket?: unknown } };
}

/** The part of an engine.io server this needs: its `flush` event (a socket's queued packets about to be written). */
export interface EngineLike {
  on(event: 'flush', listener: (socket: EngineSocketLike) => void): unknown;
}

/** The TCP socket under a WebSocket transport, or undefined. */
export function tcpSocketOf(socket: EngineSocketLike): Pick<NetSocket, 'cork' | 'uncork'> | undefined {
  const transport = socket.transport;
  if (transport?.name !== 'websocket') return undefined;
  const tcp = transport.socket?._socket as Partial<NetSocket> | undefined;
  return typeof tcp?.cork === 'function' && typeof tcp.uncork === 'function' ? (tcp as NetSocket) : undefined;
}

/** Corks each socket's TCP socket while engine.io writes a flush, and uncorks it once the current task is done. */
export function coalesceFlushWrites(engine: EngineLike): void {
  engine.on('flush', (socket) => {
    const tcp = tcpSocketOf(socket);
    if (!tcp) return;
    tcp.cork();
    // After the transport wrote every frame of this flush (synchronously, right after the event).
    process.nextTick(() => tcp.uncork());
  });
}
