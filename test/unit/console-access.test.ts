/**
 * Who may use the console, without a server: the sign-in rule (with the loopback decision
 * injected), sign-in with an app's key and secret or the console token, sessions on a manual
 * clock, the cookie's attributes, and the guard against requests from other sites. Requests are
 * plain objects with the headers these checks read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { StaticAppRegistry } from '../../src/apps/app.js';
import { isLoopback } from '../../src/api/control.js';
import { appSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import {
  ConsoleAccess,
  SESSION_COOKIE,
  cookieValue,
  sameSecret,
  signInRequired,
} from '../../src/console/access.js';
import { guardRequest } from '../../src/console/guard.js';
import { ApiError } from '../../src/protocol/errors.js';

const TOKEN = 'a-console-token-of-some-length';

function setup(options: { token?: string; signIn?: boolean; maxSessions?: number } = {}) {
  const clock = new ManualClock();
  const apps = new StaticAppRegistry([
    appSchema.parse({ id: 'one', key: 'key-one', secret: 'secret-one' }),
    appSchema.parse({ id: 'two', key: 'key-two', secret: 'secret-two' }),
  ]);
  const access = new ConsoleAccess({
    apps,
    clock,
    signIn: options.signIn ?? true,
    token: options.token,
    sessionMs: 60_000,
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
  });
  return { clock, access };
}

const request = (headers: Record<string, string> = {}, method = 'GET') =>
  ({ headers, method }) as unknown as IncomingMessage;

/** A request carrying the session cookie of a `Set-Cookie` value. */
const withCookie = (setCookie: string) =>
  request({ cookie: `other=1; ${setCookie.split(';')[0]}` });

const apiError = (status: number, message: string | RegExp) => (error: unknown) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, status);
  if (typeof message === 'string') assert.equal(error.message, message);
  else assert.match(error.message, message);
  return true;
};

describe('signInRequired', () => {
  it('is open on loopback without a token, and requires a sign-in beyond it or with a token', () => {
    assert.equal(
      signInRequired('anything', undefined, () => true),
      false,
    );
    assert.equal(
      signInRequired('anything', undefined, () => false),
      true,
    );
    assert.equal(
      signInRequired('anything', TOKEN, () => true),
      true,
    );
  });

  it('takes loopback as herald decides it: 127.x, ::1 and localhost, not a wildcard', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      assert.equal(signInRequired(host, undefined, isLoopback), false, host);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'herald.example.com']) {
      assert.equal(signInRequired(host, undefined, isLoopback), true, host);
    }
  });
});

describe('ConsoleAccess', () => {
  it('grants everything without a cookie when no sign-in is required', () => {
    const { access } = setup({ signIn: false });
    const grant = access.grantOf(request());
    assert.ok(grant !== undefined);
    assert.equal(access.allows(grant, 'one'), true);
    assert.equal(access.allows(grant, 'two'), true);
  });

  it('signs in with an app key and secret: that app only, through an HttpOnly strict cookie', () => {
    const { access } = setup();
    assert.equal(access.grantOf(request()), undefined);
    const { grant, cookie } = access.signIn({ key: 'key-two', secret: 'secret-two' }, false);
    assert.equal(access.allows(grant, 'two'), true);
    assert.equal(access.allows(grant, 'one'), false);
    const [pair, ...attributes] = cookie.split('; ');
    assert.match(pair!, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(attributes, ['Path=/console', 'Max-Age=60', 'HttpOnly', 'SameSite=Strict']);
    assert.ok(!cookie.includes('secret-two') && !cookie.includes('key-two'));
    const again = access.grantOf(withCookie(cookie));
    assert.ok(again !== undefined && access.allows(again, 'two') && !access.allows(again, 'one'));
  });

  it('marks the cookie Secure when asked (behind a TLS proxy)', () => {
    const { access } = setup();
    const { cookie } = access.signIn({ key: 'key-one', secret: 'secret-one' }, true);
    assert.ok(cookie.endsWith('; Secure'), cookie);
  });

  it('signs in with the console token to every app', () => {
    const { access } = setup({ token: TOKEN });
    const { cookie } = access.signIn({ token: TOKEN }, false);
    const grant = access.grantOf(withCookie(cookie));
    assert.ok(grant !== undefined && access.allows(grant, 'one') && access.allows(grant, 'two'));
  });

  it('refuses wrong credentials with one message whether the key or the secret is wrong', () => {
    const { access } = setup({ token: TOKEN });
    const wrong = apiError(401, 'Wrong app key or secret');
    assert.throws(() => access.signIn({ key: 'key-one', secret: 'secret-two' }, false), wrong);
    assert.throws(() => access.signIn({ key: 'no-such-key', secret: 'secret-one' }, false), wrong);
    assert.throws(
      () => access.signIn({ token: `${TOKEN}x` }, false),
      apiError(401, 'Wrong console token'),
    );
    const incomplete = apiError(400, "Sign in with an app's key and secret, or the console token");
    assert.throws(() => access.signIn({}, false), incomplete);
    assert.throws(() => access.signIn({ key: 'key-one' }, false), incomplete);
    assert.throws(() => access.signIn({ key: 'key-one', secret: 7 }, false), incomplete);
  });

  it('refuses a token sign-in when no token is configured', () => {
    const { access } = setup();
    assert.throws(() => access.signIn({ token: TOKEN }, false), apiError(400, /No console token/));
  });

  it('does not accept a forged or unknown cookie', () => {
    const { access } = setup();
    access.signIn({ key: 'key-one', secret: 'secret-one' }, false);
    assert.equal(access.grantOf(request({ cookie: `${SESSION_COOKIE}=forged` })), undefined);
    assert.equal(access.grantOf(request({ cookie: `${SESSION_COOKIE}=` })), undefined);
  });

  it('ends a session when it expires on herald’s clock, and on sign-out', () => {
    const { clock, access } = setup();
    const first = access.signIn({ key: 'key-one', secret: 'secret-one' }, false).cookie;
    clock.advance(59_999);
    assert.ok(access.grantOf(withCookie(first)) !== undefined);
    clock.advance(1);
    assert.equal(access.grantOf(withCookie(first)), undefined);

    const second = access.signIn({ key: 'key-one', secret: 'secret-one' }, false).cookie;
    const removal = access.signOut(withCookie(second), false);
    assert.equal(
      removal,
      `${SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict`,
    );
    assert.equal(access.grantOf(withCookie(second)), undefined);
  });

  it('keeps at most maxSessions sessions, ending the oldest', () => {
    const { access } = setup({ maxSessions: 2 });
    const cookies = [1, 2, 3].map(
      () => access.signIn({ key: 'key-one', secret: 'secret-one' }, false).cookie,
    );
    assert.deepEqual(
      cookies.map((cookie) => access.grantOf(withCookie(cookie)) !== undefined),
      [false, true, true],
    );
  });
});

describe('sameSecret and cookieValue', () => {
  it('compares secrets of any lengths', () => {
    assert.equal(sameSecret('secret', 'secret'), true);
    assert.equal(sameSecret('secret', 'secret2'), false);
    assert.equal(sameSecret('', 'secret'), false);
    assert.equal(sameSecret('sécret', 'sécret'), true);
  });

  it('finds a cookie among others', () => {
    assert.equal(cookieValue('a=1; herald_console=xyz; b=2', 'herald_console'), 'xyz');
    assert.equal(cookieValue('herald_console_old=1', 'herald_console'), undefined);
    assert.equal(cookieValue(undefined, 'herald_console'), undefined);
  });
});

describe('guardRequest', () => {
  const open = { open: true, isLoopback };
  const closed = { open: false, isLoopback };

  it('answers an open console only under a loopback host name (no DNS rebinding)', () => {
    for (const host of ['127.0.0.1:6001', '[::1]:6001', 'localhost:6001', 'app.localhost']) {
      assert.doesNotThrow(() => guardRequest(request({ host }), open), host);
    }
    for (const host of ['evil.example:6001', '192.168.1.2:6001', '', 'bad host']) {
      assert.throws(() => guardRequest(request({ host }), open), apiError(403, /loopback/), host);
    }
    // Signing in protects a console beyond loopback; its host names are its own business.
    assert.doesNotThrow(() => guardRequest(request({ host: 'herald.example:6001' }), closed));
  });

  it('refuses requests from another origin, a sandboxed one included', () => {
    const host = '127.0.0.1:6001';
    assert.doesNotThrow(() =>
      guardRequest(request({ host, origin: 'http://127.0.0.1:6001' }), open),
    );
    for (const origin of ['http://evil.example', 'http://127.0.0.1:6002', 'null']) {
      assert.throws(
        () => guardRequest(request({ host, origin }), open),
        apiError(403, /Cross-origin/),
        origin,
      );
    }
  });

  it('takes only JSON posts, which a form on another site cannot send', () => {
    const host = '127.0.0.1:6001';
    const post = (type?: string) =>
      request({ host, ...(type === undefined ? {} : { 'content-type': type }) }, 'POST');
    assert.doesNotThrow(() => guardRequest(post('application/json; charset=utf-8'), open));
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]) {
      assert.throws(() => guardRequest(post(type), open), apiError(415, /application\/json/));
    }
  });
});
