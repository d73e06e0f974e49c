/**
 * The checks of `herald doctor`, in the order a client meets the server: the port answers HTTP,
 * `/ready`, a WebSocket connects with the app's key, a signed REST call succeeds. Each returns
 * what it saw and, when it failed, a concrete fix naming the option to change.
 */
import { signApiRequest } from '../protocol/api-signature.js';
import { failedCheckOf } from '../protocol/api-signature-refusal.js';
import { closeFix, networkFix, signatureFix } from './doctor-fixes.js';
import { firstFrame, httpGet } from './doctor-probes.js';

export interface DoctorTarget {
  /** `http://host:port` or `https://…` of the HTTP API. */
  readonly api: URL;
  /** `ws://host:port/path` or `wss://…`: the WebSocket endpoint before `/app/{key}`. */
  readonly websocket: URL;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
}

export interface CheckResult {
  readonly name: string;
  readonly status: 'ok' | 'fail' | 'skip';
  /** What was asked and what came back, on one line. */
  readonly summary: string;
  /** The server's own explanation (a 401 body), printed as it came. */
  readonly server?: string;
  readonly fix?: string;
}

export interface CheckOptions {
  /** Milliseconds each request or connection may take. */
  readonly timeoutMs: number;
  /** herald's version, sent as the WebSocket client's `version`. */
  readonly version: string;
}

const ok = (name: string, summary: string): CheckResult => ({ name, status: 'ok', summary });
const fail = (name: string, summary: string, fix: string, server?: string): CheckResult => ({
  name,
  status: 'fail',
  summary,
  fix,
  ...(server === undefined ? {} : { server }),
});

/** `GET /`: herald answers `{"name":"herald","status":"ok"}`. */
export async function checkReachable(target: DoctorTarget, options: CheckOptions) {
  const name = 'reachable';
  const url = new URL('/', target.api);
  const outcome = await httpGet(url, options.timeoutMs);
  if (outcome.kind === 'network') {
    return fail(name, `GET ${url.href}: ${outcome.message}`, networkFix(outcome, url));
  }
  const herald = /"name"\s*:\s*"herald"/.test(outcome.body);
  if (outcome.status === 200 && herald) return ok(name, `GET ${url.href} answered 200 (herald)`);
  return fail(
    name,
    `GET ${url.href} answered ${outcome.status}${herald ? '' : ', not as herald does'}: ${firstLine(outcome.body)}`,
    `another service answers on ${url.host}, or a proxy in front of herald does not pass ` +
      'requests through: point the doctor at herald itself (--url, --host, --port)',
  );
}

/** `GET /ready`: 503 while the server stops or cannot reach Redis. */
export async function checkReady(target: DoctorTarget, options: CheckOptions) {
  const name = 'ready';
  const url = new URL('/ready', target.api);
  const outcome = await httpGet(url, options.timeoutMs);
  if (outcome.kind === 'network') {
    return fail(name, `GET ${url.href}: ${outcome.message}`, networkFix(outcome, url));
  }
  if (outcome.status === 200) return ok(name, `GET ${url.href} answered 200`);
  const text = firstLine(outcome.body);
  const summary = `GET ${url.href} answered ${outcome.status}: ${text}`;
  if (/state store/i.test(text)) {
    return fail(
      name,
      summary,
      "the server cannot reach Redis: check that Redis runs and that the server's --redis-url " +
        '(HERALD_REDIS_URL) points at it; the server recovers by itself once it can',
    );
  }
  if (/shutting down/i.test(text)) {
    return fail(name, summary, 'the server is stopping (it got SIGTERM or SIGINT): start it again');
  }
  return fail(name, summary, "a balancer takes this node out of service: see the server's log");
}

/** `/app/{key}?protocol=7`: the first frame must be `pusher:connection_established`. */
export async function checkWebSocket(target: DoctorTarget, options: CheckOptions) {
  const name = 'websocket';
  const base = target.websocket.href.replace(/\/$/, '');
  const url =
    `${base}/app/${encodeURIComponent(target.app.key)}` +
    `?protocol=7&client=herald-doctor&version=${encodeURIComponent(options.version)}`;
  const shown = url.replace(/\?.*$/, '?protocol=7');
  const outcome = await firstFrame(url, options.timeoutMs);
  switch (outcome.kind) {
    case 'network':
      return fail(name, `${shown}: ${outcome.message}`, networkFix(outcome, target.websocket));
    case 'http':
      return fail(
        name,
        `${shown}: the upgrade was answered with HTTP ${outcome.status}`,
        'a proxy in front of herald does not pass WebSocket upgrades (the Upgrade and ' +
          'Connection headers), or another service answers on this port',
      );
    case 'closed':
      return fail(
        name,
        `${shown}: closed with ${outcome.code} ${outcome.reason}`.trimEnd(),
        closeFix(outcome.code, target),
      );
    case 'frame':
      break;
  }
  const frame = outcome.frame as { event?: unknown; data?: unknown };
  const data = typeof frame.data === 'string' ? parseObject(frame.data) : frame.data;
  if (frame.event === 'pusher:connection_established') {
    const socketId = (data as { socket_id?: unknown } | undefined)?.socket_id;
    return ok(name, `${shown} connected (socket id ${String(socketId)})`);
  }
  if (frame.event === 'pusher:error') {
    const { code, message } = (data ?? {}) as { code?: unknown; message?: unknown };
    return fail(
      name,
      `${shown}: pusher:error ${String(code)} ${JSON.stringify(message)}`,
      closeFix(Number(code), target),
    );
  }
  return fail(
    name,
    `${shown}: the first frame was not pusher:connection_established: ${JSON.stringify(frame).slice(0, 200)}`,
    'another service answers on this port: point the doctor at herald (--url, --host, --port)',
  );
}

/** `GET /apps/{id}/channels`, signed as the SDKs sign (PROTOCOL.md §5.2). */
export async function checkRest(target: DoctorTarget, options: CheckOptions) {
  const name = 'rest';
  const { id } = target.app;
  const path = `/apps/${encodeURIComponent(id)}/channels`;
  const query = signApiRequest(target.app, 'GET', path, '');
  const url = new URL(`${path}?${query}`, target.api);
  const shown = `GET ${new URL(path, target.api).href}`;
  const outcome = await httpGet(url, options.timeoutMs);
  if (outcome.kind === 'network') {
    return fail(name, `${shown}: ${outcome.message}`, networkFix(outcome, url));
  }
  const { status, body } = outcome;
  if (status === 200) {
    const channels = (parseObject(body) as { channels?: object } | undefined)?.channels;
    const count =
      channels === undefined ? '' : ` (${Object.keys(channels).length} occupied channels)`;
    return ok(name, `${shown} answered 200${count}`);
  }
  if (status === 401) {
    // The server's whole explanation follows; its first line alone may be very long.
    const failed = failedCheckOf(body);
    const what = failed === undefined ? firstLine(body) : `${failed.check} (${failed.problem})`;
    return fail(
      name,
      `${shown} answered 401, failed check: ${what}`,
      signatureFix(body, target),
      body.trimEnd(),
    );
  }
  const summary = `${shown} answered ${status}: ${firstLine(body)}`;
  if (status === 404 && /unknown app id/i.test(body)) {
    return fail(
      name,
      summary,
      `no app with id "${id}" on the server: give the id of an app it serves ` +
        '(--app-id, HERALD_APP_ID or PUSHER_APP_ID, or the app in --config)',
    );
  }
  if (status === 403) {
    return fail(name, summary, `app "${id}" is disabled ("enabled": false in the server's config)`);
  }
  if (status === 503) {
    return fail(name, summary, 'the server cannot reach Redis: check its --redis-url and Redis');
  }
  return fail(name, summary, 'a proxy in front of herald does not pass /apps/ requests through');
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function parseObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
