/**
 * What the rooms routes ask other services about users: their public
 * profiles (one batch read of the profile-service per 100 users) and whether
 * a user id names a user at all. Both degrade instead of failing the request:
 * a room is still served, and a user is still added, when the profile-service
 * does not answer (logged).
 */
import type { AppContext } from '@chat/platform';

export interface PublicProfile {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
}

/** The profile-service's public profiles (adapters/dapr/profile-service.ts). */
export interface PublicProfiles {
  /** The profiles of at most 100 users, of those that have one, read as `caller`; rejects when the profile-service cannot be asked. */
  find(caller: { userId: string; requestId: string }, ids: string[]): Promise<PublicProfile[]>;
}

/** The auth-service's user accounts (adapters/dapr/auth-service.ts). */
export interface UserAccounts {
  /** The registered user `userId`; rejects with the auth-service's error when it has none. */
  account(userId: string, requestId: string): Promise<{ username: string; createdAt: string }>;
  /** False when the auth-service says no user has this id (401 or 404); rejects when it cannot be asked. */
  exists(userId: string, requestId: string): Promise<boolean>;
}

const BATCH = 100;

export interface UserDirectoryDeps {
  accounts: UserAccounts;
  profiles: PublicProfiles;
}

export function userDirectory({ accounts, profiles: publicProfiles }: UserDirectoryDeps) {
  /**
   * The profiles of `ids` that have one: one `GET /profiles?ids=` per 100
   * ids. Undefined when the profile-service could not be asked.
   */
  async function profiles(ctx: AppContext, ids: string[]): Promise<Map<string, PublicProfile> | undefined> {
    const found = new Map<string, PublicProfile>();
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH) chunks.push(ids.slice(i, i + BATCH));
    const caller = { userId: ctx.state.userId ?? '', requestId: ctx.state.requestId };
    try {
      await Promise.all(
        chunks.map(async (chunk) => {
          for (const profile of await publicProfiles.find(caller, chunk)) found.set(profile.userId, profile);
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
          return (await accounts.exists(id, ctx.state.requestId)) ? undefined : id;
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
