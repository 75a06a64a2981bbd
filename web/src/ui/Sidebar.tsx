import type { MyRoom } from '../api/types.js';
import type { AppState } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { useClient } from './context.js';
import { avatarOf, peerOf, roomTitle } from './names.js';

export type DialogName = 'profile' | 'new-room' | 'discover' | 'direct';

const CONNECTION_TEXT: Record<AppState['connection'], string | null> = {
  online: null,
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages will be sent when you are back.',
};

/** The user, the connection, and the room list with unread badges and presence. */
export function Sidebar({ openDialog }: { openDialog: (name: DialogName) => void }) {
  const [client, state] = useClient();
  const me = state.me;
  const rooms = state.roomOrder.map((id) => state.rooms[id]).filter((r): r is MyRoom => Boolean(r));
  const channels = rooms.filter((r) => r.kind !== 'dm');
  const directs = rooms.filter((r) => r.kind === 'dm');
  const status = CONNECTION_TEXT[state.connection];

  return (
    <aside class="sidebar" aria-label="Rooms">
      <header class="me">
        <button type="button" class="me-button" onClick={() => openDialog('profile')} aria-label="Edit your profile">
          <Avatar name={me?.displayName ?? state.user?.username ?? '?'} url={me?.avatarUrl ?? null} userId={state.user?.id ?? ''} />
          <span class="me-name">
            <bdi>{me?.displayName ?? state.user?.username}</bdi>
          </span>
        </button>
        <button type="button" class="ghost" onClick={() => client.signOut()}>
          Sign out
        </button>
      </header>
      {status && (
        <p class={`connection connection-${state.connection}`} role="status" data-testid="connection">
          {status}
        </p>
      )}
      <div class="sidebar-actions">
        <button type="button" onClick={() => openDialog('new-room')}>
          New room
        </button>
        <button type="button" onClick={() => openDialog('discover')}>
          Discover
        </button>
        <button type="button" onClick={() => openDialog('direct')}>
          New message
        </button>
      </div>
      <nav class="room-list">
        <RoomGroup title="Rooms" rooms={channels} empty="No rooms yet: create one or discover public rooms." />
        <RoomGroup title="Direct messages" rooms={directs} empty="No direct messages yet." />
      </nav>
    </aside>
  );
}

function RoomGroup({ title, rooms, empty }: { title: string; rooms: MyRoom[]; empty: string }) {
  const [client, state] = useClient();
  return (
    <section>
      <h2>{title}</h2>
      {rooms.length === 0 ? (
        <p class="empty">{empty}</p>
      ) : (
        <ul>
          {rooms.map((room) => {
            const name = roomTitle(state, room);
            const peer = peerOf(state, room);
            const active = room.id === state.activeRoomId;
            return (
              <li key={room.id}>
                <button
                  type="button"
                  class={`room-item${active ? ' active' : ''}${room.unread > 0 ? ' has-unread' : ''}`}
                  aria-current={active ? 'page' : undefined}
                  onClick={() => client.openRoom(room.id)}
                  data-room-id={room.id}
                >
                  {peer ? (
                    <Avatar name={name} url={avatarOf(state, peer)} userId={peer} size="small" online={state.online[peer] ?? false} />
                  ) : (
                    <span class="room-mark" aria-hidden="true">
                      {room.visibility === 'private' ? '🔒' : '#'}
                    </span>
                  )}
                  <span class="room-name">
                    <bdi>{name}</bdi>
                  </span>
                  {peer && <span class="sr-only">{state.online[peer] ? ', online' : ', offline'}</span>}
                  {room.unread > 0 && (
                    <span class="badge" data-testid="unread">
                      {room.unread > 99 ? '99+' : room.unread}
                      <span class="sr-only"> unread</span>
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
