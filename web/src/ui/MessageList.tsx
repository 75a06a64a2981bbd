import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '../api/types.js';
import type { Timeline } from '../state/store.js';
import { dividerBefore, type PendingMessage } from '../state/timeline.js';
import { Avatar } from './Avatar.js';
import { useClient } from './context.js';
import { avatarOf, displayName, formatTime, usernameOf } from './names.js';

const GROUP_MS = 5 * 60_000;
/** Within this many pixels of the end, the reader is at the bottom and follows new messages. */
const AT_BOTTOM_PX = 60;

/**
 * A room's messages: older pages load when the top comes into view (the
 * scroll position is kept), new ones keep the view at the bottom when it was
 * there, and the "new messages" divider sits after the read marker the room
 * had when it was opened. Bodies are rendered as text nodes, never as HTML.
 */
export function MessageList({
  roomId,
  timeline,
  editingSeq,
  setEditingSeq,
  openUser,
}: {
  roomId: string;
  timeline: Timeline | undefined;
  editingSeq: number | null;
  setEditingSeq: (seq: number | null) => void;
  openUser: (userId: string) => void;
}) {
  const [client, state] = useClient();
  const myId = state.user?.id ?? '';
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const before = useRef<{ first: number; height: number; roomId: string } | null>(null);
  const messages = timeline?.messages ?? [];
  const pending = state.pending.filter((p) => p.roomId === roomId);
  const divider = dividerBefore(messages, timeline?.readSeqAtOpen ?? null, myId);

  // Keep the view where the reader left it: after older messages are put on top, and at the bottom for new ones.
  // "At the bottom" is judged from where the reader is now against the height before this render, not from the
  // last scroll event: a scroll is reported a frame later, and a render in between (a profile arriving) must not
  // pull a reader who just scrolled up back down.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.seq ?? 0;
    const previous = before.current;
    if (!previous || previous.roomId !== roomId) {
      const mark = divider !== null ? el.querySelector('.divider') : null;
      if (mark) (mark as HTMLElement).scrollIntoView({ block: 'center' });
      else el.scrollTop = el.scrollHeight;
    } else if (first !== previous.first && previous.first !== 0) {
      el.scrollTop += el.scrollHeight - previous.height;
    } else if (previous.height - el.scrollTop - el.clientHeight < AT_BOTTOM_PX) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = messages.length > 0 ? { first, height: el.scrollHeight, roomId } : null;
  });

  useEffect(() => {
    const el = scroller.current;
    const sentinel = topSentinel.current;
    if (!el || !sentinel) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void client.loadOlder(roomId);
      },
      { root: el, rootMargin: '200px 0px 0px 0px' },
    );
    observer.observe(sentinel);
    return () => observer.disconnect();
    // Re-armed after each load: an observer only reports changes, so a sentinel still in view after a page
    // (or after a failed load) would otherwise never ask again.
  }, [client, roomId, timeline?.hasOlder, timeline?.loadingOlder, messages.length > 0]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    // The observer's margin, asked by the scroll itself too: a reader who reached the top is never left waiting
    // on an observer that missed the change (loadOlder asks once at a time, and only while there is more).
    if (el.scrollTop < 200 && timeline?.hasOlder) void client.loadOlder(roomId);
  };

  return (
    <div class="messages" ref={scroller} onScroll={onScroll} role="log" aria-label="Messages" tabIndex={0} data-testid="messages">
      {!timeline ? (
        <p class="list-status">Loading messages…</p>
      ) : timeline.hasOlder ? (
        <div ref={topSentinel} class="list-status">
          {timeline.loadingOlder ? 'Loading older messages…' : ' '}
        </div>
      ) : (
        <p class="list-status">This is the beginning of the conversation.</p>
      )}
      <ol class="message-items">
        {messages.map((message, i) => {
          const previous = messages[i - 1];
          const grouped =
            previous !== undefined &&
            previous.authorId === message.authorId &&
            !previous.deleted &&
            divider !== message.seq &&
            Date.parse(message.createdAt) - Date.parse(previous.createdAt) < GROUP_MS;
          return (
            <Fragment key={message.seq}>
              {divider === message.seq && (
                <li class="divider" role="separator" data-testid="new-messages">
                  <span>New messages</span>
                </li>
              )}
              <MessageItem
                roomId={roomId}
                message={message}
                grouped={grouped}
                mine={message.authorId === myId}
                editing={editingSeq === message.seq}
                setEditing={(on) => setEditingSeq(on ? message.seq : null)}
                openUser={openUser}
              />
            </Fragment>
          );
        })}
        {pending.map((p) => (
          <PendingItem key={p.clientMsgId} pending={p} />
        ))}
      </ol>
    </div>
  );
}

function Author({ userId, roomId, time, openUser }: { userId: string; roomId: string; time: string; openUser: (id: string) => void }) {
  const [, state] = useClient();
  const name = displayName(state, userId, roomId);
  const username = usernameOf(state, userId, roomId);
  return (
    <div class="message-head">
      <button type="button" class="author" onClick={() => openUser(userId)}>
        <bdi>{name}</bdi>
      </button>
      {username && <span class="handle">@{username}</span>}
      <time dateTime={time}>{formatTime(time)}</time>
    </div>
  );
}

function MessageItem({
  roomId,
  message,
  grouped,
  mine,
  editing,
  setEditing,
  openUser,
}: {
  roomId: string;
  message: ChatMessage;
  grouped: boolean;
  mine: boolean;
  editing: boolean;
  setEditing: (on: boolean) => void;
  openUser: (id: string) => void;
}) {
  const [client, state] = useClient();
  const [confirming, setConfirming] = useState(false);
  const name = displayName(state, message.authorId, roomId);
  return (
    <li class={`message${grouped ? ' grouped' : ''}${mine ? ' mine' : ''}${message.deleted ? ' deleted' : ''}`} data-seq={message.seq} data-testid="message">
      <div class="message-gutter">
        {!grouped && (
          <button type="button" class="avatar-button" onClick={() => openUser(message.authorId)} tabIndex={-1} aria-hidden="true">
            <Avatar name={name} url={avatarOf(state, message.authorId)} userId={message.authorId} />
          </button>
        )}
      </div>
      <div class="message-main">
        {!grouped && <Author userId={message.authorId} roomId={roomId} time={message.createdAt} openUser={openUser} />}
        {message.deleted ? (
          <p class="body tombstone">This message was deleted.</p>
        ) : editing ? (
          <EditBox roomId={roomId} message={message} done={() => setEditing(false)} />
        ) : (
          <p class="body" data-testid="message-body">
            <bdi>{message.body}</bdi>
            {message.editedAt && <span class="edited"> (edited)</span>}
          </p>
        )}
      </div>
      {mine && !message.deleted && !editing && (
        <div class="message-actions">
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
          {confirming ? (
            <button type="button" class="danger" onClick={() => void client.remove(roomId, message.seq)} onBlur={() => setConfirming(false)}>
              Delete for everyone?
            </button>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      )}
    </li>
  );
}

function EditBox({ roomId, message, done }: { roomId: string; message: ChatMessage; done: () => void }) {
  const [client] = useClient();
  const [text, setText] = useState(message.body);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    if (!text.trim() || text.trim() === message.body) return done();
    setBusy(true);
    try {
      await client.edit(roomId, message.seq, text);
      done();
    } catch {
      setBusy(false);
    }
  };
  return (
    <form
      class="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <textarea
        aria-label="Edit message"
        value={text}
        maxLength={4000}
        ref={(el) => el?.focus()}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') done();
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div class="edit-actions">
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={done}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PendingItem({ pending }: { pending: PendingMessage }) {
  const [client, state] = useClient();
  const myId = state.user?.id ?? '';
  const name = state.me?.displayName ?? state.user?.username ?? '';
  return (
    <li class={`message mine pending ${pending.status}`} data-testid="pending-message">
      <div class="message-gutter">
        <Avatar name={name} url={state.me?.avatarUrl ?? null} userId={myId} />
      </div>
      <div class="message-main">
        <div class="message-head">
          <span class="author">
            <bdi>{name}</bdi>
          </span>
          {state.user && <span class="handle">@{state.user.username}</span>}
          <span class="pending-status">{pending.status === 'sending' ? 'Sending…' : 'Not sent'}</span>
        </div>
        <p class="body">
          <bdi>{pending.body}</bdi>
        </p>
        {pending.status === 'failed' && (
          <p class="send-error" role="alert">
            {pending.error}{' '}
            <button type="button" onClick={() => client.retrySend(pending.clientMsgId)}>
              Retry
            </button>{' '}
            <button type="button" onClick={() => client.discardSend(pending.clientMsgId)}>
              Discard
            </button>
          </p>
        )}
      </div>
    </li>
  );
}
