/**
 * The testing control API of `herald start --dev`, under `/__herald/`: reset, recorded events
 * and waits, channels, members and connections, disconnects and refusals, client config — for
 * RSpec, PHPUnit, pytest and Playwright suites alike (docs/testing.md has a curl example for
 * each). Handlers are plain functions of (deps, request) → result like the REST ones; the
 * router mounts them only in dev mode, checks the signature when it must, and responds.
 */
import type { App, AppRegistry } from '../apps/app.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { channelType } from '../protocol/channel-name.js';
import type { ClientConfig, ClientConfigFormat } from '../testing/client-config.js';
import { clientConfigFormats, formatClientConfig } from '../testing/client-config.js';
import type { HubControl } from '../testing/control.js';
import {
  DEFAULT_WAIT_MS,
  WaitError,
  recordKinds,
  type RecordFilter,
  type RecordKind,
  type RecordedEvent,
  type Recorder,
} from '../testing/recorder.js';
import type { ApiResult } from './respond.js';

/** The reserved path: outside `/apps/`, so no Pusher route can ever collide with it. */
export const CONTROL_PREFIX = '/__herald';
/** Longest `/wait` long poll, in ms: under common proxy and client timeouts (60 s). */
export const MAX_WAIT_MS = 30_000;
/** Records one wait failure answers with at most, the latest. */
const FAILURE_RECORDS = 100;

/**
 * Whether `host` (the address the API listens on) is loopback only. Then the control API needs
 * no signature: only this machine can reach it. `0.0.0.0`, `::` and named hosts are not.
 */
export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(host)
  );
}

export interface ControlDeps {
  readonly hub: HubControl;
  /** Undefined when recording is off (`record: false`). */
  readonly recorder: Recorder | undefined;
  readonly apps: AppRegistry;
  readonly clientConfig: (app: App) => ClientConfig;
  /** The same reset as `startHerald().reset()`. */
  readonly reset: () => Promise<void>;
}

export interface ControlRequest {
  readonly method: string;
  /** The path after `/__herald`, `/` at least. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  /** Aborted when the client goes away (ends a long poll early). */
  readonly signal: AbortSignal;
}

export type ControlResult =
  | { readonly status?: number; readonly json: ApiResult }
  | { readonly status?: number; readonly text: string; readonly contentType: string };

type Handler = (deps: ControlDeps, request: ControlRequest) => Promise<ControlResult>;

/** The routes; `{name}` is the one path parameter (a channel). */
const routes: ReadonlyArray<{ method: string; path: string; handler: Handler; doc: string }> = [
  { method: 'GET', path: '/', handler: index, doc: 'this list' },
  { method: 'POST', path: '/reset', handler: reset, doc: 'disconnect all (4099), clear all' },
  { method: 'GET', path: '/events', handler: events, doc: 'recorded events, filtered' },
  { method: 'GET', path: '/wait', handler: wait, doc: 'the first matching event (long poll)' },
  { method: 'GET', path: '/channels', handler: channels, doc: 'occupied channels' },
  { method: 'GET', path: '/channels/{name}/members', handler: members, doc: 'presence members' },
  { method: 'GET', path: '/connections', handler: connections, doc: "this node's connections" },
  { method: 'POST', path: '/disconnect', handler: disconnect, doc: 'socket, user or all' },
  { method: 'POST', path: '/refuse', handler: refuse, doc: 'refuse new connections for ms' },
  { method: 'GET', path: '/client-config', handler: clientConfig, doc: 'client options, env' },
];

/** Runs the route of `request`; unknown paths are 404, known ones with another method 405. */
export async function control(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const [route, ...others] = routes.filter((candidate) => matches(candidate.path, request.path));
  if (route === undefined) {
    throw new ApiError(HttpStatus.not_found, `Unknown control route: ${request.path}`);
  }
  const chosen = [route, ...others].find((candidate) => candidate.method === request.method);
  if (chosen === undefined) {
    throw new ApiError(
      HttpStatus.method_not_allowed,
      `${request.method} not allowed on ${CONTROL_PREFIX}${request.path}`,
      { allow: route.method },
    );
  }
  return chosen.handler(deps, request);
}

function matches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  return (
    want.length === got.length && want.every((part, i) => part === '{name}' || part === got[i])
  );
}

/** The `{name}` segment of `/channels/{name}/members`, decoded. */
function channelOf(path: string): string {
  const segment = path.split('/')[2]!;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(HttpStatus.bad_request, `Invalid URL encoding in path: ${segment}`);
  }
}

const json = (body: ApiResult, status?: number): ControlResult =>
  status === undefined ? { json: body } : { json: body, status };

const badRequest = (message: string) => new ApiError(HttpStatus.bad_request, message);

/** A parameter from the query, or for POST from the JSON body. */
function param(request: ControlRequest, name: string): unknown {
  return request.query.get(name) ?? request.body[name];
}

function stringParam(request: ControlRequest, name: string): string | undefined {
  const value = param(request, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw badRequest(`${name} must be a string`);
}

function integerParam(request: ControlRequest, name: string): number | undefined {
  const value = param(request, name);
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw badRequest(`${name} must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** A close code for a disconnect or a refusal: 4000–4999 (PROTOCOL.md §1.6). */
function codeParam(request: ControlRequest): number | undefined {
  const code = integerParam(request, 'code');
  if (code !== undefined && (code < 4000 || code > 4999)) {
    throw badRequest(`code must be a close code of 4000–4999, got ${code}`);
  }
  return code;
}

/** The app named by `app_id`, or the first one. */
function appOf(deps: ControlDeps, request: ControlRequest): App {
  const id = stringParam(request, 'app_id');
  if (id === undefined) return deps.apps.all()[0]!;
  const app = deps.apps.byId(id);
  if (app === undefined) throw new ApiError(HttpStatus.not_found, `Unknown app id: ${id}`);
  return app;
}

function recorderOf(deps: ControlDeps): Recorder {
  if (deps.recorder === undefined) {
    throw badRequest('Recording is off: start with --dev and without "record": false');
  }
  return deps.recorder;
}

function filterOf(request: ControlRequest): RecordFilter {
  const kinds = stringParam(request, 'kind')
    ?.split(',')
    .map((kind) => kind.trim());
  for (const kind of kinds ?? []) {
    if (!recordKinds.includes(kind as RecordKind)) {
      throw badRequest(`Unknown kind "${kind}"; kinds: ${recordKinds.join(', ')}`);
    }
  }
  const filter: Record<string, unknown> = {
    kind: kinds as RecordKind[] | undefined,
    appId: stringParam(request, 'app_id'),
    channel: stringParam(request, 'channel'),
    event: stringParam(request, 'event'),
    socketId: stringParam(request, 'socket_id'),
    userId: stringParam(request, 'user_id'),
    after: integerParam(request, 'after'),
  };
  for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key];
  return filter as RecordFilter;
}

/** A record as the control API sends it: the field names of Pusher's wire (`socket_id`). */
export function wireRecord(record: RecordedEvent): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined)
      wire[key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)] = value;
  }
  return wire;
}

async function index(): Promise<ControlResult> {
  return json({
    endpoints: routes.map((route) => ({
      method: route.method,
      path: `${CONTROL_PREFIX}${route.path}`,
      does: route.doc,
    })),
  });
}

async function reset(deps: ControlDeps): Promise<ControlResult> {
  await deps.reset();
  return json({});
}

async function events(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const recorder = recorderOf(deps);
  const found = recorder.events(filterOf(request));
  const limit = integerParam(request, 'limit');
  const shown = limit === undefined ? found : found.slice(Math.max(0, found.length - limit));
  return json({
    events: shown.map(wireRecord),
    last_seq: recorder.lastSeq,
    dropped: recorder.dropped,
  });
}

async function wait(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const recorder = recorderOf(deps);
  const filter = filterOf(request);
  const timeout = integerParam(request, 'timeout') ?? DEFAULT_WAIT_MS;
  if (timeout > MAX_WAIT_MS) {
    throw badRequest(`timeout is at most ${MAX_WAIT_MS} ms; wait again for longer`);
  }
  try {
    const found = await recorder.waitFor(filter, { timeout, signal: request.signal });
    return json({ event: wireRecord(found) });
  } catch (error) {
    if (!(error instanceof WaitError)) throw error;
    // 408: the wait, not the request, failed; the body says what was recorded instead.
    const status = error.reason === 'timeout' ? 408 : HttpStatus.unavailable;
    const recorded = error.recorded.slice(-FAILURE_RECORDS).map(wireRecord);
    return json({ error: error.message, events: recorded }, status);
  }
}

async function channels(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const app = appOf(deps, request);
  const occupied = await deps.hub.occupiedChannels(
    app.id,
    stringParam(request, 'filter_by_prefix'),
  );
  const result: Record<string, Record<string, number>> = {};
  for (const [name, count] of occupied) {
    result[name] = { subscription_count: count };
    if (channelType(name).kind === 'presence') {
      result[name].user_count = await deps.hub.userCount(app.id, name);
    }
  }
  return json({ channels: result });
}

async function members(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const app = appOf(deps, request);
  const channel = channelOf(request.path);
  if (channelType(channel).kind !== 'presence') {
    throw badRequest(`${channel} is not a presence channel`);
  }
  const found = await deps.hub.members(app.id, channel);
  return json({
    members: found.map((member) => ({
      id: member.userId,
      info: member.userInfo === undefined ? null : (JSON.parse(member.userInfo) as unknown),
    })),
  });
}

async function connections(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const appId = stringParam(request, 'app_id');
  const found = deps.hub.connections(appId).map((connection) => ({
    app_id: connection.appId,
    socket_id: connection.socketId,
    channels: connection.channels,
    ...(connection.userId === undefined ? {} : { user_id: connection.userId }),
  }));
  return json({ connections: found });
}

async function disconnect(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const socketId = stringParam(request, 'socket_id');
  const userId = stringParam(request, 'user_id');
  const all = param(request, 'all');
  const code = codeParam(request);
  const given = [socketId !== undefined, userId !== undefined, all === true].filter(Boolean);
  if (given.length !== 1) {
    throw badRequest('Give exactly one of socket_id, user_id or "all": true');
  }
  if (socketId !== undefined) {
    const appId = stringParam(request, 'app_id');
    if (!deps.hub.disconnect(socketId, code, appId)) {
      throw new ApiError(HttpStatus.not_found, `No connection ${socketId} on this node`);
    }
    return json({ disconnected: 1 });
  }
  if (userId !== undefined) {
    await deps.hub.disconnectUser(appOf(deps, request), userId, code);
    return json({});
  }
  return json({ disconnected: deps.hub.disconnectAll(code) });
}

async function refuse(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const ms = integerParam(request, 'ms');
  if (ms === undefined) throw badRequest('ms (how long to refuse, in ms; 0 to stop) is required');
  const until = deps.hub.refuseConnections(ms, codeParam(request));
  return json(ms === 0 ? {} : { until });
}

async function clientConfig(deps: ControlDeps, request: ControlRequest): Promise<ControlResult> {
  const format = (stringParam(request, 'format') ?? 'json') as ClientConfigFormat;
  if (!clientConfigFormats.includes(format)) {
    throw badRequest(`format must be one of ${clientConfigFormats.join(', ')}`);
  }
  const config = deps.clientConfig(appOf(deps, request));
  if (format === 'json') return json({ ...config });
  const contentType = format === 'js' ? 'text/javascript' : 'text/plain';
  return { text: formatClientConfig(config, format), contentType: `${contentType}; charset=utf-8` };
}
