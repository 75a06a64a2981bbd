/**
 * The gateway's UserAccounts over Dapr service invocation of the
 * auth-service's `GET /auth/me`, asked for the user in question
 * (https://docs.dapr.io/reference/api/service_invocation_api/).
 */
import { APP_IDS, USER_ID_HEADER, type Sidecar } from '@chat/platform';
import type { UserAccounts } from '../../http/user-directory.js';

export function createDaprUserAccounts(sidecar: Sidecar, options: { timeoutMs: number }): UserAccounts {
  const asUser = (userId: string, requestId: string) => ({
    headers: { [USER_ID_HEADER]: userId, 'x-request-id': requestId },
    timeoutMs: options.timeoutMs,
  });
  return {
    async account(userId, requestId) {
      const { user } = await sidecar.invokeJson<{ user: { username: string; createdAt: string } }>(APP_IDS.auth, 'auth/me', asUser(userId, requestId));
      return user;
    },
    async exists(userId, requestId) {
      const response = await sidecar.invoke(APP_IDS.auth, 'auth/me', asUser(userId, requestId));
      return response.status !== 401 && response.status !== 404;
    },
  };
}
