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
  send(caller: Caller, roomId: string, input: { body: string; clientMsgId: string }): Promise<ChatMessage>;
  /**
   * Several callers' sends to one room in one call: each answered on its own,
   * with its message or the error `send` would have raised, in order.
   */
  sendBatch(requestId: string, roomId: string, sends: BatchedSend[]): Promise<Array<ChatMessage | AppError>>;
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
