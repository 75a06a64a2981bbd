import { render } from 'preact';
import { ChatClient } from './state/chat.js';
import { App } from './ui/App.js';
import { ClientContext } from './ui/context.js';
import './styles.css';

const client = new ChatClient();
render(
  <ClientContext.Provider value={client}>
    <App />
  </ClientContext.Provider>,
  document.getElementById('app')!,
);
client.start();
