/**
 * What the rooms routes ask other services about users, through Dapr
 * service invocation: their public profiles (one batch read of the
 * profile-service per 100 users) and whether a user id names a user at all.
 * Both degrade instead of failing the request: a room is still served, and a
 * user is still added, when the profile-service does not answer (logged).
 */
import { APP_IDS, USER_ID_HEADER, type AppContext, type Sidecar } from '@chat/platform';

export interface PublicProfile {
  userId: string;
  displayName: string;
  avatarUrl: string | null;
}

const BATCH = 100;

export interface UserDirectoryOptions {
  sidecar: Sidecar;
  timeoutMs: number;
}

export function userDirectory({ sidecar, timeoutMs }: UserDirectoryOptions) {
  const headers = (ctx: AppContext, userId = ctx.state.userId ?? '') => ({ [USER_ID_HEADER]: userId, 'x-request-id': ctx.state.requestId });

  /**
   * The profiles of `ids` that have one: one `GET /profiles?ids=` per 100
   * ids. Undefined when the profile-service could not be asked.
   */
  async function profiles(ctx: AppContext, ids: string[]): Promise<Map<string, PublicProfile> | undefined> {
    const found = new Map<string, PublicProfile>();
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH) chunks.push(ids.slice(i, i + BATCH));
    try {
      await Promise.all(
        chunks.map(async (chunk) => {
          const answer = await sidecar.invokeJson<{ profiles?: PublicProfile[] }>(
            APP_IDS.profile,
            `profiles?ids=${chunk.map(encodeURIComponent).join(',')}`,
            { headers: headers(ctx), timeoutMs },
          );
          for (const profile of answer?.profiles ?? []) found.set(profile.userId, profile);
        }),
      );
    } catch (error) {
      ctx.state.log.warn({ err: { message: (error as Error).message }, users: ids.length }, 'profiles unavailable; members go without them');
      return undefined;
    }
    return found;
  }

  /**
   * Of `ids`, those that certainly name no user: no profile, and the
   * auth-service does not know them either (a user registered a moment ago
   * has no profile yet). When a service does not answer, nobody is named.
   */
  async function unknownUsers(ctx: AppContext, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const known = await profiles(ctx, ids);
    if (!known) return [];
    const missing = ids.filter((id) => !known.has(id));
    const verdicts = await Promise.all(
      missing.map(async (id) => {
        try {
          const response = await sidecar.invoke(APP_IDS.auth, 'auth/me', { headers: headers(ctx, id), timeoutMs });
          return response.status === 401 || response.status === 404 ? id : undefined;
        } catch (error) {
          ctx.state.log.warn({ err: { message: (error as Error).message } }, 'auth-service unavailable; user not checked');
          return undefined;
        }
      }),
    );
    return verdicts.filter((id): id is string => id !== undefined);
  }

  return { profiles, unknownUsers };
}

export type UserDirectory = ReturnType<typeof userDirectory>;
