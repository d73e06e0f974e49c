/**
 * Who is using the page: a visitor picks a name and gets a session cookie that says so. This is
 * an example, not an account system: there are no passwords, the same name is the same user, and
 * sessions live in memory until the server stops. A real app has its own login and asks it here.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

export interface User {
  /** The presence member's `user_id`: two tabs with the same user are one member. */
  readonly id: string;
  readonly name: string;
}

export const SESSION_COOKIE = 'chat_session';

/** Longest name, in characters. */
export const MAX_NAME_LENGTH = 32;

/** A name of 1 to MAX_NAME_LENGTH printable characters, trimmed; anything else is a 400. */
export function parseName(value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, '`name` must be a string');
  const name = value.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name)) {
    throw new HttpError(400, `\`name\` must be 1 to ${MAX_NAME_LENGTH} printable characters`);
  }
  return name;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export class Sessions {
  readonly #users = new Map<string, User>();

  /** The user of the request's session cookie, if it names a live session. */
  userOf(req: IncomingMessage): User | undefined {
    const id = cookieValue(req, SESSION_COOKIE);
    return id === undefined ? undefined : this.#users.get(id);
  }

  /** The user, or 403: every chat endpoint is for signed-in visitors only. */
  requireUser(req: IncomingMessage): User {
    const user = this.userOf(req);
    if (user === undefined) throw new HttpError(403, 'Sign in first: POST /session with a name');
    return user;
  }

  /** Starts a session for `user` and sets its cookie on `res`. */
  start(user: User, res: ServerResponse): void {
    // Unguessable, so a session cannot be taken over by counting.
    const id = randomBytes(18).toString('base64url');
    this.#users.set(id, user);
    // HttpOnly: the page's scripts never need it. SameSite=Lax: other sites' requests do not
    // carry it. No Max-Age: it ends with the browser. (Add Secure when served over HTTPS.)
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
  }
}
