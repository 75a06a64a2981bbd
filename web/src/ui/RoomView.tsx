import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/errors.js';
import type { MyRoom } from '../api/types.js';
import { Avatar } from './Avatar.js';
import { useClient } from './context.js';
import { MessageList } from './MessageList.js';
import { avatarOf, displayName, knownPeople, peerOf, roomTitle, usernameOf } from './names.js';

/** The open room: its header, messages, who is typing, the composer, and its members on demand. */
export function RoomView({ room, openUser }: { room: MyRoom; openUser: (userId: string) => void }) {
  const [client, state] = useClient();
  const [showMembers, setShowMembers] = useState(false);
  // The message being edited belongs to its room, so another room shows no edit. Resetting it in an
  // effect instead would run after the next paint and could undo what the user did in between.
  const [editing, setEditing] = useState<{ roomId: string; seq: number } | null>(null);
  const editingSeq = editing?.roomId === room.id ? editing.seq : null;
  const setEditingSeq = (seq: number | null) => setEditing(seq === null ? null : { roomId: room.id, seq });
  const title = roomTitle(state, room);
  const peer = peerOf(state, room);
  const peerUsername = peer ? usernameOf(state, peer, room.id) : null;

  return (
    <section class="room" aria-label={title}>
      <header class="room-header">
        <button type="button" class="back ghost" onClick={() => client.openRoom(null)} aria-label="Back to rooms">
          ←
        </button>
        {peer ? (
          <Avatar name={title} url={avatarOf(state, peer)} userId={peer} online={state.online[peer] ?? false} />
        ) : (
          <span class="room-mark" aria-hidden="true">
            {room.visibility === 'private' ? '🔒' : '#'}
          </span>
        )}
        <div class="room-heading">
          <h2 data-testid="room-title">
            <bdi>{title}</bdi>
          </h2>
          <p class="topic">
            {peer ? (
              `${peerUsername ? `@${peerUsername} · ` : ''}${state.online[peer] ? 'Online' : 'Offline'}`
            ) : room.topic ? (
              <bdi>{room.topic}</bdi>
            ) : (
              `${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`
            )}
          </p>
        </div>
        <button type="button" class="ghost" aria-expanded={showMembers} onClick={() => setShowMembers(!showMembers)}>
          {peer ? 'Details' : 'Members'}
        </button>
      </header>
      <div class="room-body">
        <div class="room-main">
          <MessageList roomId={room.id} timeline={state.timelines[room.id]} editingSeq={editingSeq} setEditingSeq={setEditingSeq} openUser={openUser} />
          <TypingLine roomId={room.id} />
          {/* One composer per room: another room starts with an empty one at once. */}
          <Composer
            key={room.id}
            roomId={room.id}
            title={title}
            editLast={() => setEditingSeq(lastOwnSeq(state.timelines[room.id]?.messages ?? [], state.user?.id ?? ''))}
          />
        </div>
        {showMembers && <MembersPanel room={room} openUser={openUser} close={() => setShowMembers(false)} />}
      </div>
    </section>
  );
}

function lastOwnSeq(messages: Array<{ seq: number; authorId: string; deleted?: true }>, myId: string): number | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.authorId === myId && !messages[i]!.deleted) return messages[i]!.seq;
  return null;
}

function TypingLine({ roomId }: { roomId: string }) {
  const [, state] = useClient();
  const now = Date.now();
  const typists = Object.entries(state.typing[roomId] ?? {})
    .filter(([userId, until]) => until > now && userId !== state.user?.id)
    .map(([userId]) => ({ userId, name: displayName(state, userId, roomId), username: usernameOf(state, userId, roomId) }));
  // The @username beside the name, as on messages: two people may share a display name.
  const [first, second] = typists.map(({ userId, name, username }) => (
    <span key={userId}>
      <bdi>{name}</bdi>
      {username && <span class="handle"> @{username}</span>}
    </span>
  ));
  return (
    <p class="typing" aria-live="polite" data-testid="typing">
      {typists.length === 1 ? (
        <>{first} is typing…</>
      ) : typists.length === 2 ? (
        <>
          {first} and {second} are typing…
        </>
      ) : typists.length > 2 ? (
        'Several people are typing…'
      ) : null}
    </p>
  );
}

function Composer({ roomId, title, editLast }: { roomId: string; title: string; editLast: () => void }) {
  const [client] = useClient();
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  // Before the first paint: an effect would run after it, when the user may have typed already.
  useLayoutEffect(() => input.current?.focus(), []);
  const send = () => {
    if (!text.trim()) return;
    client.send(roomId, text);
    setText('');
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={input}
        aria-label={`Message ${title}`}
        placeholder={`Message ${title}`}
        rows={1}
        maxLength={4000}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          client.typed(roomId);
        }}
        onBlur={() => client.stopTyping(roomId)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === 'ArrowUp' && !text) {
            e.preventDefault();
            editLast();
          }
        }}
      />
      <button type="submit" class="primary" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}

function MembersPanel({ room, openUser, close }: { room: MyRoom; openUser: (userId: string) => void; close: () => void }) {
  const [client, state] = useClient();
  const members = state.members[room.id];
  const canInvite = room.kind === 'channel' && (room.role === 'owner' || room.role === 'admin');
  const [inviteId, setInviteId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const candidates = knownPeople(state).filter((p) => !members?.some((m) => m.userId === p.userId));

  const invite = async (event: Event) => {
    event.preventDefault();
    const userId = inviteId.trim();
    if (!userId) return;
    setError(null);
    try {
      await client.invite(room.id, userId);
      setInviteId('');
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  return (
    <aside class="members" aria-label="Members">
      <header>
        <h3>{room.kind === 'dm' ? 'Conversation' : `Members (${members?.length ?? room.memberCount})`}</h3>
        <button type="button" class="ghost" onClick={close} aria-label="Close members">
          ✕
        </button>
      </header>
      {room.kind === 'channel' && room.topic && (
        <p class="panel-topic">
          <bdi>{room.topic}</bdi>
        </p>
      )}
      {!members ? (
        <p class="empty">Loading…</p>
      ) : (
        <ul>
          {members.map((m) => (
            <li key={m.userId}>
              <button type="button" class="member" onClick={() => openUser(m.userId)}>
                <Avatar name={m.displayName ?? '?'} url={m.avatarUrl} userId={m.userId} size="small" online={state.online[m.userId] ?? m.online} />
                <span class="member-name">
                  <bdi>{displayName(state, m.userId, room.id)}</bdi>
                  {m.username && <span class="handle"> @{m.username}</span>}
                </span>
                {m.role !== 'member' && <span class="role">{m.role}</span>}
                <span class="sr-only">{(state.online[m.userId] ?? m.online) ? ', online' : ', offline'}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {canInvite && (
        <form class="invite" onSubmit={invite}>
          <label>
            Add a member
            <input
              list="invite-candidates"
              value={inviteId}
              placeholder="Pick someone or paste a user id"
              onInput={(e) => setInviteId(e.currentTarget.value)}
            />
          </label>
          <datalist id="invite-candidates">
            {candidates.map((p) => (
              <option key={p.userId} value={p.userId}>
                {p.name}
              </option>
            ))}
          </datalist>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit">Add</button>
        </form>
      )}
      {room.kind === 'channel' && (
        <button type="button" class="danger leave" onClick={() => void client.leaveRoom(room.id).catch((e: unknown) => client.report(e))}>
          Leave room
        </button>
      )}
    </aside>
  );
}
