/**
 * A bound on what the gateway holds for one connection that its client has
 * not read. While a transport is busy, engine.io queues the connection's
 * packets in its `writeBuffer`, and `ws` keeps what the TCP socket has not
 * taken (its `bufferedAmount`); neither has a limit of its own. A client that
 * stops reading, and keeps asking for answers (acks, `sync` pages) or sits in
 * busy rooms, would otherwise grow the gateway's memory without end.
 *
 * The figure per connection is kept as packets are queued: each packet's
 * data plus `PACKET_OVERHEAD_BYTES` (the objects engine.io keeps per packet,
 * which dominate for tiny ones), back to zero when engine.io hands its queue
 * to the transport, plus the WebSocket's `bufferedAmount`. Past the bound the
 * connection is closed at once and its buffers dropped (`closeNow`); the
 * client reconnects and catches up with `sync`.
 *
 * engine.io's WebSocket transport keeps its `ws` socket as `socket` (not
 * public API; `bufferedAmount` and `terminate` are `ws`'s own public API). A
 * polling transport has none, and counts its queue alone. The tests fail if
 * the path stops being found (outbound-limit.test.ts).
 */
import type { IncomingMessage } from 'node:http';

/** What engine.io keeps per queued packet besides its data (the packet, its options, a callback slot), roughly. */
export const PACKET_OVERHEAD_BYTES = 128;

/** The part of engine.io's WebSocket transport's `ws` socket this needs. */
interface WsLike {
  bufferedAmount?: unknown;
  terminate?: () => void;
}

/** The part of an engine.io connection (`socket.conn`) this needs. */
export interface EngineConnectionLike {
  readonly readyState: string;
  /** The request that opened it. */
  readonly request: IncomingMessage;
  transport: { readonly name: string; socket?: unknown };
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): unknown;
  on(event: 'flush', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** The part of an engine.io server this needs: its `connection` event. */
export interface EngineServerLike {
  on(event: 'connection', listener: (conn: EngineConnectionLike) => void): unknown;
}

const wsOf = (conn: EngineConnectionLike): WsLike | undefined => {
  const ws = conn.transport.socket;
  return typeof ws === 'object' && ws !== null ? ws : undefined;
};

/** Bytes handed to the transport and not yet written to the network. */
function transportBufferedBytes(conn: EngineConnectionLike): number {
  const buffered = wsOf(conn)?.bufferedAmount;
  return typeof buffered === 'number' ? buffered : 0;
}

function packetBytes(packet: { data?: unknown }): number {
  const { data } = packet;
  const size = typeof data === 'string' ? data.length : ArrayBuffer.isView(data) || data instanceof ArrayBuffer ? data.byteLength : 0;
  return size + PACKET_OVERHEAD_BYTES;
}

/**
 * Closes the connection now, without waiting for its queue to drain (it
 * never will if the client does not read): engine.io drops its queue, and
 * the TCP socket under a WebSocket is destroyed with whatever it still held.
 * The client sees its transport close, and reconnects.
 */
export function closeNow(conn: EngineConnectionLike): void {
  const ws = wsOf(conn);
  if (conn.readyState === 'open' || conn.readyState === 'closing') conn.close(true);
  if (typeof ws?.terminate === 'function') ws.terminate();
}

export interface OutboundLimitOptions {
  maxQueuedBytes: number;
  /** Called once, when a connection goes past the bound; the connection is closed right after. */
  onOverflow: (conn: EngineConnectionLike, queuedBytes: number) => void;
}

export interface OutboundLimit {
  /** What the connection holds unread now (queued packets and the transport's buffer), in bytes. */
  queuedBytes(conn: EngineConnectionLike): number;
}

/** Watches every connection of `engine`: one past `maxQueuedBytes` is closed at once. */
export function limitOutbound(engine: EngineServerLike, options: OutboundLimitOptions): OutboundLimit {
  const queued = new WeakMap<EngineConnectionLike, number>();
  const queuedBytes = (conn: EngineConnectionLike) => (queued.get(conn) ?? 0) + transportBufferedBytes(conn);

  engine.on('connection', (conn) => {
    let over = false;
    queued.set(conn, 0);
    // Emitted before the packet joins the queue: it is counted with it, and the check never lags one behind.
    conn.on('packetCreate', (packet) => {
      queued.set(conn, (queued.get(conn) ?? 0) + packetBytes(packet));
      const total = queuedBytes(conn);
      if (over || total <= options.maxQueuedBytes) return;
      over = true;
      options.onOverflow(conn, total);
      closeNow(conn);
    });
    // The whole queue goes to the transport (where `bufferedAmount` counts it).
    conn.on('flush', () => void queued.set(conn, 0));
  });

  return { queuedBytes };
}
