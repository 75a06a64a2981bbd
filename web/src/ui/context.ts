import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ChatClient } from '../state/chat.js';
import type { AppState } from '../state/store.js';

export const ClientContext = createContext<ChatClient | null>(null);

/** The client, and its state: the calling component re-renders on every change. */
export function useClient(): [ChatClient, AppState] {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside <ClientContext.Provider>');
  const [, setVersion] = useState(0);
  const rendered = useRef(client.state);
  rendered.current = client.state;
  useEffect(() => {
    const unsubscribe = client.store.subscribe(() => setVersion((n) => n + 1));
    // A change between this render and the subscription would otherwise be missed.
    if (client.state !== rendered.current) setVersion((n) => n + 1);
    return unsubscribe;
  }, [client]);
  return [client, client.state];
}
