/**
 * Who may use the console. Served on a loopback address with no console token set it is open:
 * only this machine reaches it. Otherwise a browser signs in once, with an app's key and secret
 * (that app's page) or the console token (every app), and gets an HttpOnly, SameSite=Strict
 * cookie naming a random session kept here. No secret ever leaves the server: the cookie is
 * random, and sign-in answers with app ids only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AppRegistry } from '../apps/app.js';
import type { Clock } from '../core/clock.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';

/** What a browser may see: every app, or those whose secret it gave. */
export type Grant = { readonly all: true } | { readonly all: false; readonly appIds: Set<string> };

export const SESSION_COOKIE = 'herald_console';
/** How long a sign-in lasts, in ms: a working day. */
export const DEFAULT_SESSION_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; signing in beyond it ends the oldest, so sign-ins cannot fill memory. */
export const DEFAULT_MAX_SESSIONS = 1000;

/**
 * Whether visitors must sign in: when the API listens on `host` beyond loopback (anyone on the
 * network could watch) and whenever a console token is set (so a shared machine can lock it).
 */
export function signInRequired(
  host: string,
  token: string | undefined,
  isLoopback: (host: string) => boolean,
): boolean {
  return token !== undefined || !isLoopback(host);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === name) {
      return part.slice(separator + 1).trim();
    }
  }
  return undefined;
}

export interface AccessOptions {
  readonly apps: AppRegistry;
  readonly clock: Clock;
  /** True when visitors must sign in ({@link signInRequired}). */
  readonly signIn: boolean;
  readonly token: string | undefined;
  /** Lifetime of a session in ms (default {@link DEFAULT_SESSION_MS}). */
  readonly sessionMs?: number;
  /** Default {@link DEFAULT_MAX_SESSIONS}. */
  readonly maxSessions?: number;
}

interface Session {
  readonly grant: Grant;
  readonly expiresAt: number;
}

const OPEN: Grant = { all: true };
/** Compared against when the key is unknown, so the answer takes as long as for a known one. */
const NO_SECRET = randomBytes(32).toString('hex');

export class ConsoleAccess {
  readonly signInRequired: boolean;
  readonly #options: AccessOptions;
  /** sha256(cookie value) → session: a lookup's timing says nothing about a valid cookie. */
  readonly #sessions = new Map<string, Session>();

  constructor(options: AccessOptions) {
    this.#options = options;
    this.signInRequired = options.signIn;
  }

  /** What the request's browser may see; undefined when it must sign in first. */
  grantOf(req: IncomingMessage): Grant | undefined {
    if (!this.signInRequired) return OPEN;
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (cookie === undefined) return undefined;
    const key = digest(cookie).toString('hex');
    const session = this.#sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.#options.clock.now()) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session.grant;
  }

  /** The apps a grant shows, by id. */
  allows(grant: Grant, appId: string): boolean {
    return grant.all || grant.appIds.has(appId);
  }

  /**
   * Checks `{key, secret}` or `{token}`; returns the grant and the `Set-Cookie` value of a new
   * session. Throws 400 for a body that gives neither, 401 for wrong credentials (the same
   * message whether the key or the secret was wrong).
   */
  signIn(body: Record<string, unknown>, secure: boolean): { grant: Grant; cookie: string } {
    const grant = this.#check(body);
    const {
      clock,
      sessionMs = DEFAULT_SESSION_MS,
      maxSessions = DEFAULT_MAX_SESSIONS,
    } = this.#options;
    const now = clock.now();
    for (const [key, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(key);
    }
    // A Map iterates in insertion order: the first key is the oldest session.
    while (this.#sessions.size >= maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const value = randomBytes(32).toString('base64url');
    this.#sessions.set(digest(value).toString('hex'), { grant, expiresAt: now + sessionMs });
    return { grant, cookie: this.#cookie(value, Math.floor(sessionMs / 1000), secure) };
  }

  /** Ends the request's session; returns the `Set-Cookie` value that removes the cookie. */
  signOut(req: IncomingMessage, secure: boolean): string {
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined) this.#sessions.delete(digest(cookie).toString('hex'));
    return this.#cookie('', 0, secure);
  }

  #check(body: Record<string, unknown>): Grant {
    const { key, secret, token } = body;
    if (typeof token === 'string' && token !== '') {
      const expected = this.#options.token;
      if (expected === undefined) {
        throw new ApiError(
          HttpStatus.bad_request,
          "No console token is configured: sign in with an app's key and secret",
        );
      }
      if (!sameSecret(token, expected)) {
        throw new ApiError(HttpStatus.unauthorized, 'Wrong console token');
      }
      return { all: true };
    }
    if (typeof key !== 'string' || key === '' || typeof secret !== 'string' || secret === '') {
      throw new ApiError(
        HttpStatus.bad_request,
        "Sign in with an app's key and secret, or the console token",
      );
    }
    const app = this.#options.apps.byKey(key);
    const matches = sameSecret(secret, app?.secret ?? NO_SECRET);
    if (app === undefined || !matches) {
      throw new ApiError(HttpStatus.unauthorized, 'Wrong app key or secret');
    }
    return { all: false, appIds: new Set([app.id]) };
  }

  #cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
    // Path=/console: the cookie goes to nothing else on this port (the REST API, WebSockets).
    const attributes = [
      `${SESSION_COOKIE}=${value}`,
      'Path=/console',
      `Max-Age=${maxAgeSeconds}`,
      'HttpOnly',
      'SameSite=Strict',
    ];
    if (secure) attributes.push('Secure');
    return attributes.join('; ');
  }
}
