import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors.js';
import type { ChatRoom, PublicProfile, Settings } from '../api/types.js';
import { Avatar } from './Avatar.js';
import { useClient } from './context.js';
import { fieldText } from './forms.js';
import { knownPeople } from './names.js';

const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const AVATAR_MAX_BYTES = 1024 * 1024;

/** A modal `<dialog>`: focus moves into it, Escape and the close button close it. */
function Dialog({ title, close, children }: { title: string; close: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-label={title} onClose={close}>
      <header>
        <h2>
          <bdi>{title}</bdi>
        </h2>
        <button type="button" class="ghost" onClick={close} aria-label="Close">
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}

/** Runs a form action, showing its error under the form. */
function useAction(): [string | null, boolean, (action: () => Promise<void>) => Promise<void>] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return [error, busy, run];
}

const ErrorLine = ({ error }: { error: string | null }) =>
  error ? (
    <p class="form-error" role="alert">
      {error}
    </p>
  ) : null;

export function ProfileDialog({ close }: { close: () => void }) {
  const [client, state] = useClient();
  const me = state.me;
  const [error, busy, run] = useAction();
  const [saved, setSaved] = useState(false);
  const [avatarError, avatarBusy, runAvatar] = useAction();
  if (!me) return null;

  const save = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setSaved(false);
    void run(async () => {
      await client.saveProfile({
        displayName: fieldText(form, 'displayName').trim(),
        bio: fieldText(form, 'bio'),
        settings: { theme: fieldText(form, 'theme') as Settings['theme'] },
      });
      setSaved(true);
    });
  };

  const upload = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    void runAvatar(async () => {
      // The server checks both too; checking here saves uploading a file that would be refused.
      if (!AVATAR_TYPES.includes(file.type)) throw new ApiError('unsupported_media_type', 'Not an image type avatars take');
      if (file.size > AVATAR_MAX_BYTES) throw new ApiError('payload_too_large', 'Larger than 1 MiB');
      await client.uploadAvatar(file);
    });
  };

  return (
    <Dialog title="Your profile" close={close}>
      <div class="profile-head">
        <Avatar name={me.displayName} url={me.avatarUrl} userId={me.userId} size="large" />
        <div>
          <p class="profile-name">
            <bdi>{me.displayName}</bdi>
          </p>
          <p class="hint">@{me.username}</p>
          <label class="file-button">
            {avatarBusy ? 'Uploading…' : 'Change picture'}
            <input type="file" accept={AVATAR_TYPES.join(',')} onChange={upload} disabled={avatarBusy} />
          </label>
        </div>
      </div>
      <ErrorLine error={avatarError} />
      <form onSubmit={save}>
        <label>
          Display name
          <input name="displayName" defaultValue={me.displayName} required maxLength={64} />
        </label>
        <label>
          Bio
          <textarea name="bio" defaultValue={me.bio} maxLength={500} rows={3} />
        </label>
        <label>
          Theme
          <select name="theme" defaultValue={me.settings.theme}>
            <option value="system">Same as the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <p class="hint">
          Your user id (share it so people can message you): <code class="user-id">{me.userId}</code>
        </p>
        <ErrorLine error={error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
      </form>
    </Dialog>
  );
}

export function NewRoomDialog({ close }: { close: () => void }) {
  const [client, state] = useClient();
  const [error, busy, run] = useAction();
  const people = knownPeople(state);
  const create = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const topic = fieldText(form, 'topic').trim();
    const memberIds = form.getAll('member').map(String);
    void run(async () => {
      await client.createRoom({
        name: fieldText(form, 'name').trim(),
        visibility: form.get('visibility') === 'private' ? 'private' : 'public',
        ...(topic ? { topic } : {}),
        ...(memberIds.length > 0 ? { memberIds } : {}),
      });
      close();
    });
  };
  return (
    <Dialog title="New room" close={close}>
      <form onSubmit={create}>
        <label>
          Name
          <input name="name" required maxLength={64} />
        </label>
        <label>
          Topic <span class="hint">(optional)</span>
          <input name="topic" maxLength={500} />
        </label>
        <fieldset>
          <legend>Who can find it</legend>
          <label class="inline">
            <input type="radio" name="visibility" value="public" defaultChecked /> Public: anyone can discover and join
          </label>
          <label class="inline">
            <input type="radio" name="visibility" value="private" /> Private: members you add only
          </label>
        </fieldset>
        {people.length > 0 && (
          <fieldset class="people">
            <legend>Add people</legend>
            {people.map((p) => (
              <label class="inline" key={p.userId}>
                <input type="checkbox" name="member" value={p.userId} /> <bdi>{p.name}</bdi>
              </label>
            ))}
          </fieldset>
        )}
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create room
        </button>
      </form>
    </Dialog>
  );
}

export function DiscoverDialog({ close }: { close: () => void }) {
  const [client, state] = useClient();
  const [search, setSearch] = useState('');
  const [rooms, setRooms] = useState<ChatRoom[] | null>(null);
  const [error, busy, run] = useAction();
  useEffect(() => {
    // An answer to an earlier search that comes in late must not replace this one's.
    let current = true;
    const timer = setTimeout(
      () =>
        void run(async () => {
          const found = await client.searchPublicRooms(search);
          if (current) setRooms(found);
        }),
      rooms ? 250 : 0,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search]);
  const open = (room: ChatRoom) =>
    void run(async () => {
      if (state.rooms[room.id]) client.openRoom(room.id);
      else await client.joinRoom(room.id);
      close();
    });
  return (
    <Dialog title="Discover public rooms" close={close}>
      <input type="search" aria-label="Search public rooms" placeholder="Search by name" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      <ErrorLine error={error} />
      {rooms && rooms.length === 0 && <p class="empty">No public room matches.</p>}
      <ul class="discover-list">
        {(rooms ?? []).map((room) => (
          <li key={room.id}>
            <div>
              <p class="discover-name">
                # <bdi>{room.name}</bdi>
              </p>
              <p class="hint">
                {room.topic && (
                  <>
                    <bdi>{room.topic}</bdi> ·{' '}
                  </>
                )}
                {room.memberCount} member{room.memberCount === 1 ? '' : 's'}
              </p>
            </div>
            <button type="button" onClick={() => open(room)} disabled={busy} aria-label={`${state.rooms[room.id] ? 'Open' : 'Join'} ${room.name}`}>
              {state.rooms[room.id] ? 'Open' : 'Join'}
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

export function DirectDialog({ close, openUser }: { close: () => void; openUser: (userId: string) => void }) {
  const [client, state] = useClient();
  const [error, busy, run] = useAction();
  const people = knownPeople(state);
  const start = (event: Event) => {
    event.preventDefault();
    const userId = fieldText(new FormData(event.currentTarget as HTMLFormElement), 'userId').trim();
    void run(async () => {
      await client.startDirect(userId);
      close();
    });
  };
  return (
    <Dialog title="New direct message" close={close}>
      {people.length > 0 && (
        <ul class="people-list">
          {people.map((p) => (
            <li key={p.userId}>
              <button
                type="button"
                class="member"
                onClick={() => {
                  close();
                  openUser(p.userId);
                }}
              >
                <Avatar
                  name={p.name}
                  url={state.profiles[p.userId]?.avatarUrl ?? null}
                  userId={p.userId}
                  size="small"
                  online={state.online[p.userId] ?? false}
                />
                <span class="member-name">
                  <bdi>{p.name}</bdi>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={start}>
        <label>
          Or enter a user id
          <input name="userId" required maxLength={128} placeholder="e.g. 3f1c…" />
        </label>
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Open conversation
        </button>
      </form>
    </Dialog>
  );
}

/** Someone's public profile, with a button to message them. */
export function UserDialog({ userId, close }: { userId: string; close: () => void }) {
  const [client, state] = useClient();
  const [profile, setProfile] = useState<PublicProfile | null>(state.profiles[userId] ?? null);
  const [error, busy, run] = useAction();
  useEffect(() => {
    // As for a search: only the answer about the user shown now is shown.
    let current = true;
    void run(async () => {
      const found = await client.viewProfile(userId);
      if (current) setProfile(found);
    });
    return () => {
      current = false;
    };
  }, [userId]);
  const isMe = userId === state.user?.id;
  return (
    <Dialog title={profile?.displayName ?? 'Profile'} close={close}>
      {profile && (
        <div class="profile-card">
          <Avatar name={profile.displayName} url={profile.avatarUrl} userId={userId} size="large" online={isMe ? undefined : (state.online[userId] ?? false)} />
          <div>
            <p class="profile-name">
              <bdi>{profile.displayName}</bdi>
            </p>
            <p class="hint">@{profile.username}</p>
            {profile.bio && (
              <p class="bio">
                <bdi>{profile.bio}</bdi>
              </p>
            )}
          </div>
        </div>
      )}
      <ErrorLine error={error} />
      {!isMe && (
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await client.startDirect(userId);
              close();
            })
          }
        >
          Send a message
        </button>
      )}
    </Dialog>
  );
}
