/**
 * HTTP API routing: resolve the app, read the body, authenticate once, run a handler, respond
 * once. Routes follow PROTOCOL.md §5; `GET /` and `GET /ready` are for load balancers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppRegistry } from '../apps/app.js';
import type { Clock } from '../core/clock.js';
import type { Log } from '../core/log.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { verifyApiRequest } from '../protocol/api-signature.js';
import { parseJsonObject, readBody } from './body.js';
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
  /** False once a graceful stop began: `/ready` answers 503 so balancers drain this node. */
  readonly ready: () => boolean;
}

type Route = (deps: ApiDeps, request: ApiRequest, rest: string[]) => Promise<ApiResult>;

/** A route exists but not for this method: the allowed one, for the 405's `Allow` header. */
interface WrongMethod {
  readonly allow: string;
}

/** `/apps/{id}/{...rest}` routes by method and the first segment of rest. */
function route(method: string, rest: string[]): Route | WrongMethod | undefined {
  const [first, second, ...more] = rest;
  const one = (wanted: string, fn: Route) => (method === wanted ? fn : { allow: wanted });
  if (first === 'events' && second === undefined) {
    return one('POST', (d, r) => triggerEvents(d.core, r));
  }
  if (first === 'batch_events' && second === undefined) {
    return one('POST', (d, r) => triggerBatch(d.core, r));
  }
  if (first === 'channels' && second === undefined) {
    return one('GET', (d, r) => listChannels(d.core, r));
  }
  if (first === 'channels' && second !== undefined && more.length === 0) {
    return one('GET', (d, r, segments) => channelInfo(d.core, r, decode(segments[1]!)));
  }
  if (first === 'channels' && second !== undefined && more.length === 1 && more[0] === 'users') {
    return one('GET', (d, r, segments) => channelUsers(d.core, r, decode(segments[1]!)));
  }
  if (
    first === 'users' &&
    second !== undefined &&
    more.length === 1 &&
    more[0] === 'terminate_connections'
  ) {
    return one('POST', (d, r, segments) =>
      terminateUserConnections(d.core, r, decode(segments[1]!)),
    );
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(HttpStatus.bad_request, `Invalid URL encoding in path: ${segment}`);
  }
}

export function createApiHandler(deps: ApiDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(deps, req, res).catch((error: unknown) => respondError(res, error, deps.log));
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
      throw new ApiError(HttpStatus.unavailable, 'Shutting down');
    }
    respondJson(res, path === '/' ? { name: 'herald', status: 'ok' } : { ready: true });
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
  verifyApiRequest(app, { method, path, query, body }, Math.floor(deps.clock.now() / 1000));
  if (!app.enabled) throw new ApiError(HttpStatus.forbidden, 'Application disabled');
  if (typeof handler !== 'function') {
    throw new ApiError(HttpStatus.method_not_allowed, `${method} not allowed on ${path}`, {
      allow: handler.allow,
    });
  }
  const result = await handler(deps, { app, query: params, body: parseJsonObject(body) }, rest);
  respondJson(res, result);
}
