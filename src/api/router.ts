/**
 * HTTP API routing: resolve the app, read the body, authenticate once, run a handler, respond
 * once. Routes follow PROTOCOL.md §5; `GET /` and `GET /ready` are for load balancers; the
 * testing control API under `/__herald/` exists only in dev mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppRegistry } from '../apps/app.js';
import type { Clock } from '../core/clock.js';
import type { Log } from '../core/log.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { verifyApiRequest } from '../protocol/api-signature.js';
import { parseJsonObject, readBody } from './body.js';
import { CONTROL_PREFIX, control, type ControlDeps } from './control.js';
import {
  channelInfo,
  channelUsers,
  listChannels,
  terminateUserConnections,
  triggerBatch,
  triggerEvents,
  type ApiCore,
  type ApiRequest,
} from './handlers.js';
import { respondError, respondJson, type ApiResult } from './respond.js';

export interface ApiDeps {
  readonly apps: AppRegistry;
  readonly core: ApiCore;
  readonly clock: Clock;
  readonly log: Log;
  readonly maxRequestBodyBytes: number;
  /**
   * False once a graceful stop began or while the shared store (Redis) is unreachable: `/ready`
   * answers 503 so balancers drain this node.
   */
  readonly ready: () => boolean;
  /** False while the shared store is unreachable: requests that fail then answer 503. */
  readonly storeAvailable: () => boolean;
  /** The control API (dev mode); without it `/__herald/…` is 404 like any unknown path. */
  readonly control?: ControlMount | undefined;
  /** Pages served beside the API (metrics, the console), each under its own path prefix. */
  readonly mounts?: readonly HttpMount[] | undefined;
  /**
   * Told once per answered request, after the response was sent (errors and mounts included; a
   * request whose client went away first is not answered). `endpoint` is a route name, never
   * the raw path, so metrics labelled with it stay bounded.
   */
  readonly onResponse?: ((endpoint: string, status: number) => void) | undefined;
}

/**
 * A feature served on the API port under `prefix` (the path itself and everything below
 * `prefix/`). It answers the request itself; an {@link ApiError} it throws (or rejects with)
 * becomes the usual JSON error response.
 */
export interface HttpMount {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: MountedUrl): Promise<void>;
}

export interface MountedUrl {
  /** The path without the query string, prefix included. */
  readonly path: string;
  readonly query: URLSearchParams;
}

export interface ControlMount extends ControlDeps {
  /**
   * Require requests signed like REST calls (§5.2), with the first app's key and secret: on
   * when the server listens beyond loopback, where anyone could otherwise disconnect clients.
   */
  readonly signed: boolean;
}

type Route = (deps: ApiDeps, request: ApiRequest, rest: string[]) => Promise<ApiResult>;

/** A route exists but not for this method: the allowed one, for the 405's `Allow` header. */
interface WrongMethod {
  readonly allow: string;
}

/** The `/apps/{id}/…` routes by name: the method each takes and what runs it. */
const routes = {
  events: { method: 'POST', run: (d, r) => triggerEvents(d.core, r) },
  batch_events: { method: 'POST', run: (d, r) => triggerBatch(d.core, r) },
  channels: { method: 'GET', run: (d, r) => listChannels(d.core, r) },
  channel: { method: 'GET', run: (d, r, rest) => channelInfo(d.core, r, decode(rest[1]!)) },
  channel_users: {
    method: 'GET',
    run: (d, r, rest) => channelUsers(d.core, r, decode(rest[1]!)),
  },
  terminate_connections: {
    method: 'POST',
    run: (d, r, rest) => terminateUserConnections(d.core, r, decode(rest[1]!)),
  },
} as const satisfies Record<string, { method: string; run: Route }>;

type AppRoute = keyof typeof routes;

/** Which route `/apps/{id}/{...rest}` is, by its shape alone (any method). */
function appRouteOf(rest: readonly string[]): AppRoute | undefined {
  const [first, second, ...more] = rest;
  if (first === 'events' && second === undefined) return 'events';
  if (first === 'batch_events' && second === undefined) return 'batch_events';
  if (first === 'channels' && second === undefined) return 'channels';
  if (first === 'channels' && second !== undefined && more.length === 0) return 'channel';
  if (first === 'channels' && second !== undefined && more.length === 1 && more[0] === 'users') {
    return 'channel_users';
  }
  if (
    first === 'users' &&
    second !== undefined &&
    more.length === 1 &&
    more[0] === 'terminate_connections'
  ) {
    return 'terminate_connections';
  }
  return undefined;
}

/** `/apps/{id}/{...rest}` routes by method and shape. */
function route(method: string, rest: string[]): Route | WrongMethod | undefined {
  const name = appRouteOf(rest);
  if (name === undefined) return undefined;
  const { method: wanted, run } = routes[name];
  return method === wanted ? run : { allow: wanted };
}

/**
 * The name a request is counted under: an app route's name, `root`, `ready`, `control`, a
 * mount's prefix without its slash (`metrics`), or `other` (unknown paths, whatever they are).
 */
function endpointOf(deps: ApiDeps, url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (path === '/') return 'root';
  if (path === '/ready') return 'ready';
  if (under(path, CONTROL_PREFIX)) return 'control';
  const mount = deps.mounts?.find((candidate) => under(path, candidate.prefix));
  if (mount !== undefined) return mount.prefix.slice(1);
  const segments = path.split('/');
  if (segments[1] !== 'apps' || segments[2] === undefined || segments[2] === '') return 'other';
  return appRouteOf(segments.slice(3)) ?? 'other';
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(HttpStatus.bad_request, `Invalid URL encoding in path: ${segment}`);
  }
}

export function createApiHandler(deps: ApiDeps) {
  const { onResponse } = deps;
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (onResponse !== undefined) {
      res.once('finish', () => onResponse(endpointOf(deps, req.url ?? '/'), res.statusCode));
    }
    handle(deps, req, res).catch((error: unknown) => {
      // During an outage the store's failures are expected and were logged once as an outage.
      const unavailable = !(error instanceof ApiError) && !deps.storeAvailable();
      respondError(
        res,
        unavailable
          ? new ApiError(
              HttpStatus.unavailable,
              'Service unavailable: the shared state store is unreachable',
            )
          : error,
        deps.log,
      );
    });
  };
}

async function handle(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const method = req.method ?? 'GET';

  if (path === '/' || path === '/ready') {
    if (method !== 'GET' && method !== 'HEAD') {
      throw new ApiError(HttpStatus.method_not_allowed, `${method} not allowed on ${path}`, {
        allow: 'GET, HEAD',
      });
    }
    if (path === '/ready' && !deps.ready()) {
      throw new ApiError(
        HttpStatus.unavailable,
        deps.storeAvailable() ? 'Shutting down' : 'The shared state store is unreachable',
      );
    }
    respondJson(res, path === '/' ? { name: 'herald', status: 'ok' } : { ready: true });
    return;
  }

  if (under(path, CONTROL_PREFIX)) {
    await handleControl(deps, req, res, { method, path, rawQuery });
    return;
  }

  const mount = deps.mounts?.find((candidate) => under(path, candidate.prefix));
  if (mount !== undefined) {
    await mount.handle(req, res, { path, query: new URLSearchParams(rawQuery) });
    return;
  }

  const segments = path.split('/');
  // ['', 'apps', id, ...rest]
  if (segments[1] !== 'apps' || segments[2] === undefined || segments[2] === '') {
    throw new ApiError(HttpStatus.not_found, `Not found: ${path}`);
  }
  const app = deps.apps.byId(decode(segments[2]));
  if (app === undefined) {
    throw new ApiError(HttpStatus.not_found, `Unknown app id: ${segments[2]}`);
  }
  const rest = segments.slice(3);
  const handler = route(method, rest);
  if (handler === undefined) throw new ApiError(HttpStatus.not_found, `Unknown route: ${path}`);

  const body = await readBody(req, deps.maxRequestBodyBytes);
  const params = new URLSearchParams(rawQuery);
  const query = [...params];
  verifyApiRequest(app, { method, path, query, body }, Math.floor(deps.clock.now() / 1000), {
    isOtherAppKey: (key) => deps.apps.byKey(key) !== undefined,
  });
  if (!app.enabled) throw new ApiError(HttpStatus.forbidden, 'Application disabled');
  if (typeof handler !== 'function') {
    throw new ApiError(HttpStatus.method_not_allowed, `${method} not allowed on ${path}`, {
      allow: handler.allow,
    });
  }
  const result = await handler(deps, { app, query: params, body: parseJsonObject(body) }, rest);
  respondJson(res, result);
}

async function handleControl(
  deps: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  { method, path, rawQuery }: { method: string; path: string; rawQuery: string },
): Promise<void> {
  const mount = deps.control;
  if (mount === undefined) throw new ApiError(HttpStatus.not_found, `Not found: ${path}`);
  const body = await readBody(req, deps.maxRequestBodyBytes);
  const query = new URLSearchParams(rawQuery);
  if (mount.signed) {
    const signer = deps.apps.all()[0]!;
    const request = { method, path, query: [...query], body };
    verifyApiRequest(signer, request, Math.floor(deps.clock.now() / 1000), {
      isOtherAppKey: (key) => deps.apps.byKey(key) !== undefined,
    });
  }
  // A long poll whose client went away stops waiting.
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const result = await control(mount, {
    method,
    path: path.slice(CONTROL_PREFIX.length) || '/',
    query,
    body: parseJsonObject(body),
    signal: gone.signal,
  });
  if ('json' in result) {
    respondJson(res, result.json, result.status);
    return;
  }
  res.writeHead(result.status ?? HttpStatus.ok, {
    'content-type': result.contentType,
    'content-length': Buffer.byteLength(result.text),
  });
  res.end(result.text);
}
