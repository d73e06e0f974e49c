/**
 * The page under test: it shows the connection state, a "Reconnecting…" notice while the
 * connection is down, and each `message` event of the `notifications` channel. Its pusher-js
 * options come from the server that serves it (here `/config.json`; in a Rails or Laravel app,
 * the layout renders them), so the same page runs against Pusher or herald.
 */
/* global Pusher, document */

const config = await (await fetch('/config.json')).json();
const pusher = new Pusher(config.pusherJs.key, config.pusherJs.options);

const state = document.querySelector('#state');
const offline = document.querySelector('#offline');
let everConnected = false;
pusher.connection.bind('state_change', ({ current }) => {
  state.textContent = current;
  if (current === 'connected') everConnected = true;
  // "connecting" at page load is no outage; after a first connection it is.
  offline.hidden = current === 'connected' || !everConnected;
});
// After a close that asks it to back off, pusher-js stays "connected" until it retries: this
// event is the first sign of the outage.
pusher.connection.bind('connecting_in', () => {
  offline.hidden = false;
});

const messages = document.querySelector('#messages');
pusher.subscribe('notifications').bind('message', ({ text }) => {
  const item = document.createElement('li');
  item.textContent = text;
  messages.append(item);
});
