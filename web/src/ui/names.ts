import type { MyRoom } from '../api/types.js';
import type { AppState } from '../state/store.js';

/** How a user is called in the UI: their display name, from the room's members or their profile. */
export function displayName(state: AppState, userId: string, roomId?: string | null): string {
  if (userId === state.user?.id && state.me) return state.me.displayName;
  return memberIn(state, userId, roomId)?.displayName ?? state.profiles[userId]?.displayName ?? findMember(state, userId)?.displayName ?? 'Someone';
}

/**
 * A user's username, shown beside their display name wherever they speak or
 * are listed: display names are not unique, usernames are, so nobody passes
 * for someone else by taking their name. Null while it is not known.
 */
export function usernameOf(state: AppState, userId: string, roomId?: string | null): string | null {
  if (userId === state.user?.id) return state.user.username;
  return memberIn(state, userId, roomId)?.username ?? state.profiles[userId]?.username ?? null;
}

/** The user among the room's members, when the room's member list is loaded. */
function memberIn(state: AppState, userId: string, roomId?: string | null) {
  return roomId ? state.members[roomId]?.find((m) => m.userId === userId) : undefined;
}

function findMember(state: AppState, userId: string) {
  for (const members of Object.values(state.members)) {
    const found = members.find((m) => m.userId === userId && m.displayName);
    if (found) return found;
  }
  return undefined;
}

export function avatarOf(state: AppState, userId: string): string | null {
  if (userId === state.user?.id && state.me) return state.me.avatarUrl;
  return state.profiles[userId]?.avatarUrl ?? findMember(state, userId)?.avatarUrl ?? null;
}

/** The other member of a direct-message room. */
export function peerOf(state: AppState, room: MyRoom): string | null {
  if (room.kind !== 'dm') return null;
  return state.members[room.id]?.find((m) => m.userId !== state.user?.id)?.userId ?? null;
}

export function roomTitle(state: AppState, room: MyRoom): string {
  if (room.kind !== 'dm') return room.name;
  const peer = peerOf(state, room);
  return peer ? displayName(state, peer, room.id) : 'Direct message';
}

/**
 * Where to load an avatar from: only the gateway's own avatar links
 * (`…/api/profiles/<id>/avatar?v=…`, an uploaded picture), from this page's
 * origin, which is the gateway that served it (whichever replica, whatever
 * public address the profile-service was told). Any other URL, `https:`
 * included, is not loaded and the initial is shown: a picture on a server
 * of its owner's choosing would tell that server who reads them, from
 * where and when. The page's CSP allows no other image host either.
 */
export function avatarSrc(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    return /^\/api\/profiles\/[^/]+\/avatar$/.test(parsed.pathname) ? `${parsed.pathname}${parsed.search}` : null;
  } catch {
    return null;
  }
}

/** People the user has met in any room: candidates for an invitation or a new room. */
export function knownPeople(state: AppState): Array<{ userId: string; name: string }> {
  const ids = new Set<string>();
  for (const members of Object.values(state.members)) for (const m of members) ids.add(m.userId);
  for (const id of Object.keys(state.profiles)) ids.add(id);
  ids.delete(state.user?.id ?? '');
  return [...ids].map((userId) => ({ userId, name: displayName(state, userId) })).sort((a, b) => a.name.localeCompare(b.name));
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
