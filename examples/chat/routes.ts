/**
 * The chat's endpoints: the session, the messages, and the two endpoints pusher-js calls to have
 * a presence subscription and a user sign-in signed. Each is a function of its request; the
 * server maps paths to them and turns what they throw into the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Pusher from 'pusher';
import { HttpError, readForm, readJson, sendJson } from './http.js';
import { parseText, type MessageStore } from './messages.js';
import { parseName, type Sessions, type User } from './sessions.js';

/** Everyone in the chat subscribes to it; its members are the online list. */
export const CHAT_CHANNEL = 'presence-chat';
/** The event a new message is triggered as (the page binds it). */
export const NEW_MESSAGE_EVENT = 'new_message';
/** How many messages `GET /messages` returns: the latest. */
export const HISTORY_LENGTH = 100;

export interface ChatDeps {
  /** The `pusher` SDK, pointed at herald (or at Pusher: nothing here would change). */
  readonly pusher: Pusher;
  readonly store: MessageStore;
  readonly sessions: Sessions;
}

export type Handler = (deps: ChatDeps, req: IncomingMessage, res: ServerResponse) => Promise<void>;

// The form both SDKs require; they throw on anything else, so it is checked here first.
const SOCKET_ID = /^\d+\.\d+$/;

function parseSocketId(value: unknown): string {
  if (typeof value !== 'string' || !SOCKET_ID.test(value)) {
    throw new HttpError(400, '`socket_id` must look like "123.456" (pusher.connection.socket_id)');
  }
  return value;
}

/** What a presence member and a signed-in user carry: pusher-js shows it as `member.info`. */
const userInfo = (user: User) => ({ name: user.name });

/** `GET /session`: `{"user": {...}}` when signed in, else `{"user": null}`. */
export const getSession: Handler = async ({ sessions }, req, res) => {
  sendJson(res, 200, { user: sessions.userOf(req) ?? null });
};

/** `POST /session` with `{"name": "Ann"}`: signs in as that name (the id is the name). */
export const postSession: Handler = async ({ sessions }, req, res) => {
  const name = parseName((await readJson(req)).name);
  const user = { id: name, name };
  sessions.start(user, res);
  sendJson(res, 201, { user });
};

/** `GET /messages`: `{"messages": [...]}`, the latest HISTORY_LENGTH, oldest first. */
export const getMessages: Handler = async ({ store, sessions }, req, res) => {
  sessions.requireUser(req);
  sendJson(res, 200, { messages: await store.latest(HISTORY_LENGTH) });
};

/**
 * `POST /messages` with `{"text": "…", "socket_id": "123.456"}`: stores the message, triggers it
 * on the chat channel and answers `{"message": {...}}` (201). `socket_id` is optional: a script
 * posting over plain HTTP has no connection to exclude.
 */
export const postMessage: Handler = async ({ pusher, store, sessions }, req, res) => {
  const user = sessions.requireUser(req);
  const body = await readJson(req);
  const text = parseText(body.text);
  const socketId = body.socket_id === undefined ? undefined : parseSocketId(body.socket_id);
  const message = await store.add(user, text);
  try {
    // The duplicate-message fix. The sending page shows its message as soon as this request
    // answers; the event goes to every subscriber of the channel, so without `socket_id` that
    // page would receive its own message again and show it twice. With it, herald (like Pusher)
    // leaves out exactly that connection: the sender's other tabs and everyone else get it.
    await pusher.trigger(
      CHAT_CHANNEL,
      NEW_MESSAGE_EVENT,
      message,
      socketId === undefined ? {} : { socket_id: socketId },
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(502, `The message was saved but not sent live: ${reason}`);
  }
  sendJson(res, 201, { message });
};

/**
 * `POST /pusher/auth`, form-encoded `socket_id` and `channel_name` from pusher-js: signs the
 * chat channel's subscription with the session's user as the member. 403 for a visitor who
 * is not signed in and for any other channel.
 */
export const authorizeChannel: Handler = async ({ pusher, sessions }, req, res) => {
  const user = sessions.requireUser(req);
  const form = await readForm(req);
  const socketId = parseSocketId(form.get('socket_id'));
  const channel = form.get('channel_name');
  if (channel !== CHAT_CHANNEL) throw new HttpError(403, `Only ${CHAT_CHANNEL} can be joined`);
  const member = { user_id: user.id, user_info: userInfo(user) };
  sendJson(res, 200, pusher.authorizeChannel(socketId, channel, member));
};

/**
 * `POST /pusher/user-auth`, form-encoded `socket_id` from `pusher.signin()`: signs the
 * connection in as the session's user, so the server can reach or close every tab of a user
 * (`sendToUser`, `terminateUserConnections`). 403 for a visitor who is not signed in.
 */
export const authenticateUser: Handler = async ({ pusher, sessions }, req, res) => {
  const user = sessions.requireUser(req);
  const socketId = parseSocketId((await readForm(req)).get('socket_id'));
  sendJson(res, 200, pusher.authenticateUser(socketId, { id: user.id, user_info: userInfo(user) }));
};
