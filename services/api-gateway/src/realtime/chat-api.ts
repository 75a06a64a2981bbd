/**
 * What the real-time edge asks chat-service, on behalf of a verified user
 * (the caller); chat-service's refusals come back as AppErrors with the
 * contract's code. adapters/dapr/chat-service.ts implements it over Dapr
 * service invocation; tests give it a fake.
 */
import type { AppError, ChatMessage } from '@chat/platform';

export interface Caller {
  userId: string;
  requestId: string;
}

export interface ChatApi {
  send(caller: Caller, roomId: string, input: { body: string; clientMsgId: string }): Promise<SendResult>;
  /**
   * Several callers' sends to one room in one call: each answered on its own,
   * with its result or the error `send` would have raised, in order.
   */
  sendBatch(requestId: string, roomId: string, sends: BatchedSend[]): Promise<Array<SendResult | AppError>>;
  edit(caller: Caller, roomId: string, seq: number, body: string): Promise<ChatMessage>;
  remove(caller: Caller, roomId: string, seq: number): Promise<void>;
  history(caller: Caller, roomId: string, afterSeq: number, limit: number): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  markRead(caller: Caller, roomId: string, seq: number): Promise<void>;
  /** The ids of the rooms the caller belongs to (checked against each room's member list by chat-service). */
  roomIds(caller: Caller): Promise<string[]>;
  /** A room's member list and its version; the caller must be a member (else forbidden / not_found). */
  members(caller: Caller, roomId: string): Promise<{ members: Array<{ userId: string }>; membersVersion: number }>;
}

export interface BatchedSend {
  caller: Caller;
  body: string;
  clientMsgId: string;
  /** The sender's trace, continued by chat-service for this send. */
  traceparent?: string | undefined;
}

/** What a send is answered with. */
export interface SendResult {
  /** The message stored, or for a repeated clientMsgId the one its first send stored (what the sender's ack carries). */
  message: ChatMessage;
  /** An earlier send of this clientMsgId stored the message: it is not new, and is not delivered live again. */
  repeated: boolean;
}

/**
 * chat-service's send-batch request body (`POST /rooms/:roomId/message-batches`),
 * exactly as it goes on the wire: the adapter sends it, and the coalescer
 * measures each send's share of it.
 */
export function sendBatchRequest(sends: BatchedSend[]) {
  return { sends: sends.map(sendOnTheWire) };
}

function sendOnTheWire({ caller, body, clientMsgId, traceparent }: BatchedSend) {
  return { authorId: caller.userId, body, clientMsgId, ...(traceparent ? { traceparent } : {}) };
}

/** The bytes a send adds to the send-batch request's JSON text: its entry, escapes included, and a comma. */
export const sendWireBytes = (send: BatchedSend): number => Buffer.byteLength(JSON.stringify(sendOnTheWire(send))) + 1;

/** The bytes of the send-batch request's JSON text around its sends (`{"sends":[]}`). */
export const SEND_BATCH_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify(sendBatchRequest([])));
