/**
 * The real-time edge's ChatApi over Dapr service invocation of chat-service
 * (https://docs.dapr.io/reference/api/service_invocation_api/), on behalf of
 * a verified user: the user id and the request id travel as headers, and
 * chat-service's errors come back as AppErrors with the contract's code.
 */
import { APP_IDS, appErrorFromBody, dependencyUnavailable, isAppError, USER_ID_HEADER, type ChatMessage, type Sidecar } from '@chat/platform';
import { sendBatchRequest, type Caller, type ChatApi } from '../../realtime/chat-api.js';

export function createDaprChatApi(sidecar: Sidecar, options: { timeoutMs: number }): ChatApi {
  const call = <T>(caller: Caller, path: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', body?: unknown) =>
    sidecar.invokeJson<T>(APP_IDS.chat, path, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: { [USER_ID_HEADER]: caller.userId, 'x-request-id': caller.requestId },
      timeoutMs: options.timeoutMs,
    });
  const room = (roomId: string) => `rooms/${encodeURIComponent(roomId)}`;
  const sendBatch: ChatApi['sendBatch'] = async (requestId, roomId, sends) => {
    const answer = await sidecar.invokeJson<{ results?: Array<{ status?: number; message?: ChatMessage; repeated?: boolean; error?: unknown }> }>(
      APP_IDS.chat,
      `${room(roomId)}/message-batches`,
      { method: 'POST', body: sendBatchRequest(sends), headers: { 'x-request-id': requestId }, timeoutMs: options.timeoutMs },
    );
    return sends.map((_, i) => {
      const result = answer?.results?.[i];
      if (result?.message) return { message: result.message, repeated: result.repeated === true };
      return appErrorFromBody(result?.status ?? 502, { error: result?.error }) ?? dependencyUnavailable('chat-service answered a batch without this send');
    });
  };
  return {
    // A lone send is a batch of one: its answer says whether it was a repeat.
    async send(caller, roomId, input) {
      const [result] = await sendBatch(caller.requestId, roomId, [{ caller, ...input }]);
      if (result === undefined || isAppError(result)) throw result ?? dependencyUnavailable('chat-service answered a batch without the send');
      return result;
    },
    sendBatch,
    edit: (caller, roomId, seq, body) => call<ChatMessage>(caller, `${room(roomId)}/messages/${seq}`, 'PATCH', { body }),
    async remove(caller, roomId, seq) {
      await call<unknown>(caller, `${room(roomId)}/messages/${seq}`, 'DELETE');
    },
    async history(caller, roomId, afterSeq, limit) {
      const page = await call<{ messages: ChatMessage[]; hasMore: boolean }>(caller, `${room(roomId)}/messages?after=${afterSeq}&limit=${limit}`, 'GET');
      return { messages: page?.messages ?? [], hasMore: Boolean(page?.hasMore) };
    },
    async markRead(caller, roomId, seq) {
      await call<unknown>(caller, `${room(roomId)}/read`, 'POST', { seq });
    },
    async members(caller, roomId) {
      const answer = await call<{ members?: Array<{ userId: string }>; membersVersion?: number }>(caller, `${room(roomId)}/members`, 'GET');
      return { members: answer?.members ?? [], membersVersion: answer?.membersVersion ?? 0 };
    },
    async roomIds(caller) {
      const answer = await call<{ roomIds?: string[] }>(caller, 'room-ids', 'GET');
      return answer?.roomIds ?? [];
    },
  };
}
