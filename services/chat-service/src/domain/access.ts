import { forbidden, notFound } from '@chat/platform';
import { isPublicChannel, type MemberList, type Role, type RoomHead } from './model.js';
import type { Versioned } from './ports.js';

/**
 * Who may do what in a room, as docs/api.md puts it: a room the caller may not
 * even see answers 404 (it does not exist, or it is private or a dm and the
 * caller is not a member); a room it can see but may not act in answers 403.
 */
export interface RoomView {
  head: Versioned<RoomHead>;
  members: Versioned<MemberList> | undefined;
  /** The caller's role, undefined when not a member. */
  role: Role | undefined;
}

export const NO_SUCH_ROOM = 'No such room';

export function roleIn(members: MemberList | undefined, userId: string): Role | undefined {
  return members?.members[userId]?.role;
}

export function canSee(view: { head: Versioned<RoomHead>; role: Role | undefined }): boolean {
  return view.role !== undefined || isPublicChannel(view.head.value);
}

/** Throws 404 unless the caller may see the room. */
export function requireVisible(view: RoomView | undefined): asserts view is RoomView {
  if (!view || !canSee(view)) throw notFound(NO_SUCH_ROOM);
}

/** Throws 404 (cannot see) or 403 (sees, not a member) unless the caller is a member. */
export function requireMember(view: RoomView | undefined, action = 'do this'): asserts view is RoomView & { role: Role } {
  requireVisible(view);
  if (view.role === undefined) throw forbidden(`Only members of this room can ${action}`);
}

/** Throws unless the caller is the room's owner or an admin (and the room is a channel). */
export function requireManager(view: RoomView | undefined, action: string): asserts view is RoomView & { role: Role } {
  requireMember(view, action);
  if (view.head.value.kind === 'dm') throw forbidden(`Nobody can ${action} in a direct-message room`);
  if (view.role !== 'owner' && view.role !== 'admin') throw forbidden(`Only the owner or an admin can ${action}`);
}
