/**
 * The chat page. A visitor picks a name, then sees the messages (loaded from `GET /messages`
 * each time the chat channel is subscribed, kept live by `new_message` events), a send box, who
 * is online (the presence channel's members), who is typing (client events) and the state of
 * the connection to herald, with a Reconnect button when pusher-js has given up.
 */
import type PusherJs from 'pusher-js';
import type { Members, Options, PresenceChannel } from 'pusher-js';

// pusher-js's browser build, loaded by a <script> before this module, defines the global.
declare const Pusher: typeof PusherJs;

interface User {
  readonly id: string;
  readonly name: string;
}

interface Message {
  readonly id: string;
  readonly user: User;
  readonly text: string;
  readonly sentAt: string;
}

interface Member {
  readonly id: string;
  readonly info: { readonly name: string };
}

/** `/config.json`: what the server knows about herald, so the page hard-codes no address. */
interface Config {
  readonly key: string;
  readonly options: Options;
  readonly channel: string;
}

/** Triggered by the backend for each new message (routes.ts). */
const NEW_MESSAGE_EVENT = 'new_message';
/** Sent by each page while its user types; herald relays it to the other subscribers only. */
const TYPING_EVENT = 'client-typing';
/**
 * At most one typing event per this many ms from a page. herald, like Pusher, takes at most 10
 * client events per second from a connection and refuses more with error 4301: one a second
 * is far below that, and often enough to keep the others' indicator on.
 */
const TYPING_EVERY_MS = 1000;
/** How long "… is typing" stays after that user's last typing event, in ms. */
const TYPING_SHOWN_MS = 3000;

const STATE_TEXT: Readonly<Record<string, string>> = {
  initialized: 'not connected yet',
  connecting: 'connecting…',
  connected: 'connected',
  unavailable: 'unavailable, retrying…',
  failed: 'not possible in this browser',
  disconnected: 'disconnected',
};

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state = element<HTMLElement>('connection-state');
const reconnect = element<HTMLButtonElement>('reconnect');
const messages = element<HTMLOListElement>('messages');
const typing = element<HTMLParagraphElement>('typing');
const online = element<HTMLUListElement>('online');
const sendForm = element<HTMLFormElement>('send');
const text = element<HTMLInputElement>('text');
const sendError = element<HTMLParagraphElement>('send-error');

/** A JSON request to the backend; a failure throws with the server's `error` text. */
async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new Error(answer.error ?? `${method} ${path}: ${response.status}`);
  return answer as T;
}

function showState(name: string, description = STATE_TEXT[name] ?? name): void {
  state.dataset.state = name;
  state.textContent = description;
  // In both states pusher-js waits for us (disconnected) or for its next try (unavailable).
  reconnect.hidden = name !== 'disconnected' && name !== 'unavailable';
}

const shown = new Set<string>();

/**
 * Adds a message to the list, in id order, once. Ids matter after a reconnect: the reload of
 * the list and live events overlap. They are not what keeps a sender from seeing its own
 * message twice; the server leaves the sender's connection out of the event (routes.ts).
 */
function show(message: Message): void {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  const item = document.createElement('li');
  item.dataset.id = message.id;
  const author = document.createElement('strong');
  author.textContent = message.user.name;
  const time = document.createElement('time');
  time.dateTime = message.sentAt;
  time.textContent = new Date(message.sentAt).toLocaleTimeString([], { timeStyle: 'short' });
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = message.text;
  item.append(author, ' ', time, ': ', body);
  const later = [...messages.children].find(
    (other) => Number((other as HTMLElement).dataset.id) > Number(message.id),
  );
  messages.insertBefore(item, later ?? null);
}

function showOnline(members: Members): void {
  const items: HTMLLIElement[] = [];
  members.each((member: Member) => {
    const item = document.createElement('li');
    item.dataset.userId = member.id;
    item.textContent = member.id === members.me.id ? `${member.info.name} (you)` : member.info.name;
    items.push(item);
  });
  items.sort((a, b) => a.textContent!.localeCompare(b.textContent!));
  online.replaceChildren(...items);
}

/** Who is typing: user id → the timer that forgets them. */
const typers = new Map<string, ReturnType<typeof setTimeout>>();

function showTypers(members: Members): void {
  const names = [...typers.keys()].map((id) => (members.get(id) as Member | null)?.info.name ?? id);
  const last = names.pop();
  if (last === undefined) typing.textContent = '';
  else if (names.length === 0) typing.textContent = `${last} is typing…`;
  else typing.textContent = `${names.join(', ')} and ${last} are typing…`;
}

function stopTyping(userId: string, members: Members): void {
  clearTimeout(typers.get(userId));
  if (typers.delete(userId)) showTypers(members);
}

async function loadMessages(): Promise<void> {
  try {
    const { messages: latest } = await request<{ messages: Message[] }>('GET', '/messages');
    for (const message of latest) show(message);
  } catch (error) {
    sendError.textContent = `Could not load the messages: ${(error as Error).message}`;
  }
}

function join(config: Config): void {
  element('chat').hidden = false;
  const pusher = new Pusher(config.key, {
    ...config.options,
    // Same-origin requests: the browser sends the session cookie, which says who this is.
    channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax' },
    userAuthentication: { endpoint: '/pusher/user-auth', transport: 'ajax' },
  });

  showState(pusher.connection.state);
  pusher.connection.bind('state_change', ({ current }: { current: string }) => showState(current));
  // After a close that asks it to back off (codes 4100–4199), pusher-js stays "connected" until
  // it retries: this event is the first sign that the connection is gone.
  pusher.connection.bind('connecting_in', (seconds: number) =>
    showState('reconnecting', `reconnecting in ${seconds} s…`),
  );
  reconnect.addEventListener('click', () => pusher.connect());
  // Signed in, the server can reach every tab of this user, or close them all.
  pusher.signin();

  const channel = pusher.subscribe(config.channel) as PresenceChannel;
  const { members } = channel;
  // Also after every reconnect: what was sent while the connection was down is in the list.
  channel.bind('pusher:subscription_succeeded', () => {
    showOnline(members);
    void loadMessages();
  });
  channel.bind('pusher:member_added', () => showOnline(members));
  channel.bind('pusher:member_removed', (member: Member) => {
    stopTyping(member.id, members);
    showOnline(members);
  });
  channel.bind(NEW_MESSAGE_EVENT, (message: Message) => {
    show(message);
    stopTyping(message.user.id, members);
  });
  channel.bind(TYPING_EVENT, (_data: unknown, metadata: { user_id: string }) => {
    // The same user in another tab: no "you are typing".
    if (metadata.user_id === members.me.id) return;
    clearTimeout(typers.get(metadata.user_id));
    typers.set(
      metadata.user_id,
      setTimeout(() => stopTyping(metadata.user_id, members), TYPING_SHOWN_MS),
    );
    showTypers(members);
  });

  let typedAt = -Infinity;
  text.addEventListener('input', () => {
    const now = Date.now();
    if (text.value.trim() === '' || !channel.subscribed || now - typedAt < TYPING_EVERY_MS) return;
    typedAt = now;
    channel.trigger(TYPING_EVENT, {});
  });

  sendForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    sendError.textContent = '';
    const button = sendForm.querySelector('button')!;
    button.disabled = true;
    try {
      const { message } = await request<{ message: Message }>('POST', '/messages', {
        text: text.value,
        // Undefined while disconnected: then there is no connection to leave out.
        socket_id: pusher.connection.socket_id,
      });
      show(message);
      text.value = '';
    } catch (error) {
      sendError.textContent = (error as Error).message;
    } finally {
      button.disabled = false;
    }
  });
}

function askForName(config: Config): void {
  const form = element<HTMLFormElement>('sign-in');
  const error = element<HTMLParagraphElement>('sign-in-error');
  form.hidden = false;
  const button = form.querySelector('button')!;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    // One request at a time: a second answer would join a second time.
    button.disabled = true;
    try {
      await request('POST', '/session', { name: element<HTMLInputElement>('name').value });
      form.hidden = true;
      join(config);
    } catch (failure) {
      error.textContent = (failure as Error).message;
      button.disabled = false;
    }
  });
}

const config = await request<Config>('GET', '/config.json');
const { user } = await request<{ user: User | null }>('GET', '/session');
showState('initialized');
if (user === null) askForName(config);
else join(config);
