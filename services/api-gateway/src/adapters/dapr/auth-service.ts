/**
 * The gateway's UserAccounts over Dapr service invocation of the
 * auth-service's `GET /auth/me`, asked for the user in question
 * (https://docs.dapr.io/reference/api/service_invocation_api/).
 */
import { APP_IDS, USER_ID_HEADER, dependencyUnavailable, type Sidecar } from '@chat/platform';
import type { UserAccounts } from '../../http/user-directory.js';

export function createDaprUserAccounts(sidecar: Sidecar, options: { timeoutMs: number }): UserAccounts {
  const asUser = (userId: string, requestId: string) => ({
    headers: { [USER_ID_HEADER]: userId, 'x-request-id': requestId },
    timeoutMs: options.timeoutMs,
  });
  return {
    async account(userId, requestId) {
      const answer = await sidecar.invokeJson<{ user?: { username?: unknown; createdAt?: unknown } } | null | undefined>(
        APP_IDS.auth,
        'auth/me',
        asUser(userId, requestId),
      );
      // A 2xx without the user is the auth-service out of its contract: 503, not a TypeError and a 500.
      const user = typeof answer === 'object' && answer !== null ? answer.user : undefined;
      if (typeof user?.username !== 'string' || typeof user.createdAt !== 'string')
        throw dependencyUnavailable(`${APP_IDS.auth} answered auth/me without the user`);
      return { username: user.username, createdAt: user.createdAt };
    },
    async exists(userId, requestId) {
      const response = await sidecar.invoke(APP_IDS.auth, 'auth/me', asUser(userId, requestId));
      return response.status !== 401 && response.status !== 404;
    },
  };
}
