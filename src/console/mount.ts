/**
 * The console's routes, served on the HTTP API port under `/console`:
 *
 *   GET  /console, /console/apps/{id}     the page (the app list, one app's log)
 *   GET  /console/console.{css,js}        its style and script
 *   GET  /console/api/session             whether to sign in; the apps this browser may see
 *   POST /console/api/sign-in             `{key, secret}` or `{token}` → session cookie
 *   POST /console/api/sign-out
 *   GET  /console/api/apps/{id}/feed      the live log (text/event-stream)
 *   GET  /console/api/apps/{id}/channels  occupied channels, presence members
 *   POST /console/api/apps/{id}/events    the event creator
 *
 * Errors are {@link ApiError}s, answered by the API router as plain text: the page shows that
 * text as it is, so the event creator shows the REST API's own messages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, AppRegistry } from '../apps/app.js';
import type { ApiCore } from '../api/handlers.js';
import { parseJsonObject, readBody } from '../api/body.js';
import type { HttpMount, MountedUrl } from '../api/router.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import type { ConsoleAccess, Grant } from './access.js';
import { isAssetName, serveAsset, pageHeaders } from './assets.js';
import { channelList } from './channels.js';
import { entryKinds } from './entries.js';
import { sendFromConsole } from './event-creator.js';
import type { ConsoleEventLog } from './event-log.js';
import type { Feeds } from './feed.js';
import { guardRequest } from './guard.js';

export const CONSOLE_PREFIX = '/console';

export interface ConsoleMountDeps {
  readonly apps: AppRegistry;
  readonly core: ApiCore;
  readonly events: ConsoleEventLog;
  readonly feeds: Feeds;
  readonly access: ConsoleAccess;
  readonly isLoopback: (host: string) => boolean;
  /** Rows a page keeps at most. */
  readonly rows: number;
  readonly maxRequestBodyBytes: number;
  /** True once herald is stopping: no new feeds. */
  readonly stopping: () => boolean;
}

export function consoleMount(deps: ConsoleMountDeps): HttpMount {
  return { prefix: CONSOLE_PREFIX, handle: (req, res, url) => handle(deps, req, res, url) };
}

function allow(method: string, ...allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new ApiError(HttpStatus.method_not_allowed, `${method} not allowed here`, {
      allow: allowed.join(', '),
    });
  }
}

function respond(res: ServerResponse, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(HttpStatus.ok, {
    ...pageHeaders,
    ...headers,
    'cache-control': 'no-store',
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(HttpStatus.bad_request, `Invalid URL encoding in path: ${segment}`);
  }
}

async function handle(
  deps: ConsoleMountDeps,
  req: IncomingMessage,
  res: ServerResponse,
  { path }: MountedUrl,
): Promise<void> {
  const method = req.method ?? 'GET';
  const rest = path.slice(CONSOLE_PREFIX.length);
  if (!rest.startsWith('/api/')) {
    page(res, rest, method);
    return;
  }
  guardRequest(req, { open: !deps.access.signInRequired, isLoopback: deps.isLoopback });
  const [first, second, third, ...more] = rest.slice('/api/'.length).split('/');
  if (first === 'session' && second === undefined) {
    allow(method, 'GET');
    const grant = deps.access.grantOf(req);
    respond(res, {
      signInRequired: deps.access.signInRequired,
      apps: grant === undefined ? null : visibleApps(deps, grant),
      rows: deps.rows,
      kinds: entryKinds,
    });
    return;
  }
  if (first === 'sign-in' && second === undefined) {
    allow(method, 'POST');
    const body = parseJsonObject(await readBody(req, deps.maxRequestBodyBytes));
    if (!deps.access.signInRequired) {
      respond(res, { apps: visibleApps(deps, { all: true }) });
      return;
    }
    const { grant, cookie } = deps.access.signIn(body, secure(req));
    respond(res, { apps: visibleApps(deps, grant) }, { 'set-cookie': cookie });
    return;
  }
  if (first === 'sign-out' && second === undefined) {
    allow(method, 'POST');
    respond(res, {}, { 'set-cookie': deps.access.signOut(req, secure(req)) });
    return;
  }
  if (first === 'apps' && second !== undefined && second !== '' && more.length === 0) {
    const app = appFor(deps, req, decode(second));
    if (third === 'feed') {
      allow(method, 'GET');
      if (deps.stopping()) throw new ApiError(HttpStatus.unavailable, 'Shutting down');
      deps.feeds.open(req, res, deps.events.ring(app.id)!);
      return;
    }
    if (third === 'channels') {
      allow(method, 'GET');
      respond(res, await channelList(deps.core, app));
      return;
    }
    if (third === 'events') {
      allow(method, 'POST');
      const body = parseJsonObject(await readBody(req, deps.maxRequestBodyBytes));
      respond(res, await sendFromConsole(deps.core, app, body));
      return;
    }
  }
  throw new ApiError(HttpStatus.not_found, `Not found: ${path}`);
}

/** `/`, `/apps/{id}` and the page's files; the page itself decides what to show. */
function page(res: ServerResponse, rest: string, method: string): void {
  const segments = rest.split('/').filter((segment) => segment !== '');
  const index =
    segments.length === 0 ||
    (segments.length === 2 && segments[0] === 'apps') ||
    (segments.length === 1 && segments[0] === 'index.html');
  const file = index ? 'index.html' : segments.length === 1 ? segments[0]! : '';
  if (!isAssetName(file)) throw new ApiError(HttpStatus.not_found, `Not found: /console${rest}`);
  allow(method, 'GET', 'HEAD');
  serveAsset(res, file, method === 'HEAD');
}

/** The app `appId`, if this browser may see it (401 before signing in, else 403 or 404). */
function appFor(deps: ConsoleMountDeps, req: IncomingMessage, appId: string): App {
  const grant = deps.access.grantOf(req);
  if (grant === undefined) {
    throw new ApiError(HttpStatus.unauthorized, 'Sign in to use the console');
  }
  // Whether another app exists is not told to a browser signed in for one app only.
  if (!deps.access.allows(grant, appId)) {
    throw new ApiError(HttpStatus.forbidden, `Not signed in for app ${appId}`);
  }
  const app = deps.apps.byId(appId);
  if (app === undefined) throw new ApiError(HttpStatus.not_found, `Unknown app id: ${appId}`);
  return app;
}

function visibleApps(deps: ConsoleMountDeps, grant: Grant) {
  return deps.apps
    .all()
    .filter((app) => deps.access.allows(grant, app.id))
    .map((app) => ({ id: app.id, enabled: app.enabled }));
}

/** Behind a TLS-terminating proxy the cookie is marked Secure, so it never travels in clear. */
const secure = (req: IncomingMessage) => req.headers['x-forwarded-proto'] === 'https';
