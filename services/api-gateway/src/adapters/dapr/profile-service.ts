/**
 * The gateway's PublicProfiles over Dapr service invocation of the
 * profile-service's batch read, `GET /profiles?ids=`
 * (https://docs.dapr.io/reference/api/service_invocation_api/).
 */
import { APP_IDS, USER_ID_HEADER, type Sidecar } from '@chat/platform';
import type { PublicProfile, PublicProfiles } from '../../http/user-directory.js';

export function createDaprPublicProfiles(sidecar: Sidecar, options: { timeoutMs: number }): PublicProfiles {
  return {
    async find(caller, ids) {
      const answer = await sidecar.invokeJson<{ profiles?: PublicProfile[] }>(APP_IDS.profile, `profiles?ids=${ids.map(encodeURIComponent).join(',')}`, {
        headers: { [USER_ID_HEADER]: caller.userId, 'x-request-id': caller.requestId },
        timeoutMs: options.timeoutMs,
      });
      return answer?.profiles ?? [];
    },
  };
}
