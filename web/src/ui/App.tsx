import { useEffect, useState } from 'preact/hooks';
import { AuthScreen } from './AuthScreen.js';
import { useClient } from './context.js';
import { DirectDialog, DiscoverDialog, NewRoomDialog, ProfileDialog, UserDialog } from './dialogs.js';
import { RoomView } from './RoomView.js';
import { Sidebar, type DialogName } from './Sidebar.js';

export function App() {
  const [client, state] = useClient();
  const [dialog, setDialog] = useState<DialogName | null>(null);
  const [userId, setUserId] = useState<string | null>(null);
  const theme = state.me?.settings.theme ?? 'system';
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  useEffect(() => {
    if (state.phase !== 'signed-in') {
      setDialog(null);
      setUserId(null);
    }
  }, [state.phase]);

  if (state.phase === 'starting') return null;
  if (state.phase === 'signed-out') return <AuthScreen />;

  const room = state.activeRoomId ? state.rooms[state.activeRoomId] : undefined;
  const close = () => setDialog(null);
  return (
    <div class={`app${room ? ' room-open' : ''}`}>
      <Sidebar openDialog={setDialog} />
      <main class="pane">
        {room ? (
          <RoomView key={room.id} room={room} openUser={setUserId} />
        ) : (
          <div class="placeholder">
            <p>Pick a room, discover public rooms, or start a conversation.</p>
          </div>
        )}
      </main>
      {dialog === 'profile' && <ProfileDialog close={close} />}
      {dialog === 'new-room' && <NewRoomDialog close={close} />}
      {dialog === 'discover' && <DiscoverDialog close={close} />}
      {dialog === 'direct' && <DirectDialog close={close} openUser={setUserId} />}
      {userId && <UserDialog key={userId} userId={userId} close={() => setUserId(null)} />}
      <div class="notices" aria-live="assertive">
        {state.notices.map((n) => (
          <p key={n.id} class={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
            <span>{n.text}</span>
            <button type="button" class="ghost" onClick={() => client.dismiss(n.id)} aria-label="Dismiss">
              ✕
            </button>
          </p>
        ))}
      </div>
    </div>
  );
}
