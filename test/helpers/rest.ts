/**
 * Raw signed requests to herald's HTTP API (PROTOCOL.md §5.2), for tests that must control every
 * byte the SDKs would hide: the timestamp, the query encoding, a tampered signature or body_md5.
 *
 * The signer is written from the spec, not imported from src/, so a mistake in the server's own
 * signer cannot cancel itself out in these tests.
 */
import { createHash, createHmac } from 'node:crypto';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

/** What a test server gives us: where the API is and the app that signs. */
export interface RestTarget {
  /** `http://host:port` */
  readonly url: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
}

export type QueryPairs = Array<[string, string]>;

/**
 * How the query travels. `node`: pusher-http-node joins `key=value` with no escaping at all.
 * `ruby`: pusher-http-ruby signs the same unescaped pairs but its HTTP client sends them
 * form-encoded.
 */
export type QueryStyle = 'node' | 'ruby';

export interface SignOptions {
  /** Extra query parameters, in the order they are sent (repeated keys allowed). */
  readonly params?: QueryPairs;
  /** `auth_timestamp` in Unix seconds; default now. */
  readonly timestamp?: number;
  /** Default `node`. */
  readonly style?: QueryStyle;
  /** Sign with these instead of the target's app (an unknown key, a wrong secret). */
  readonly key?: string;
  readonly secret?: string;
  /** Applied to the signed pairs (auth_signature included) just before sending. */
  readonly tamper?: (pairs: QueryPairs) => QueryPairs;
}

export interface RestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the request went over a kept-alive socket of the agent. */
  readonly reusedSocket: boolean;
}

export const md5Hex = (body: string | Buffer) => createHash('md5').update(body).digest('hex');

/** The canonical string of §5.2: keys lower-cased, stable sort by key, unescaped values. */
export function stringToSign(method: string, path: string, pairs: QueryPairs): string {
  const query = pairs
    .filter(([key]) => key !== 'auth_signature')
    .map(([key, value]): [string, string] => [key.toLowerCase(), value])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return `${method}\n${path}\n${query}`;
}

/** Every query pair of a signed request, `auth_signature` last (where both SDKs put it). */
export function signedPairs(
  target: RestTarget,
  method: string,
  path: string,
  body: string | Buffer,
  options: SignOptions = {},
): QueryPairs {
  const pairs: QueryPairs = [
    ['auth_key', options.key ?? target.app.key],
    ['auth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ['auth_version', '1.0'],
  ];
  if (body.length > 0) pairs.push(['body_md5', md5Hex(body)]);
  pairs.push(...(options.params ?? []));
  const signature = createHmac('sha256', options.secret ?? target.app.secret)
    .update(stringToSign(method, path, pairs))
    .digest('hex');
  pairs.push(['auth_signature', signature]);
  return pairs;
}

export function renderQuery(pairs: QueryPairs, style: QueryStyle = 'node'): string {
  if (style === 'ruby') return new URLSearchParams(pairs).toString();
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** Tampering: drop every pair named `key`. */
export const without =
  (key: string) =>
  (pairs: QueryPairs): QueryPairs =>
    pairs.filter(([name]) => name !== key);

/** Tampering: give every pair named `key` the value `value`. */
export const replacing =
  (key: string, value: string) =>
  (pairs: QueryPairs): QueryPairs =>
    pairs.map(([name, old]) => [name, name === key ? value : old]);

export interface SendOptions {
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
}

/** Sends one request as is (no signing) and reads the whole response as text. */
export function send(
  url: string,
  method: string,
  pathAndQuery: string,
  options: SendOptions = {},
): Promise<RestResponse> {
  const { body, agent } = options;
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = request(new URL(pathAndQuery, url), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    req.setTimeout(5000, () =>
      req.destroy(new Error(`${method} ${pathAndQuery}: no answer in 5 s`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs and sends a request to an absolute path (`/apps/{id}/...`). */
export function signedRequest(
  target: RestTarget,
  method: string,
  path: string,
  options: SignOptions & SendOptions = {},
): Promise<RestResponse> {
  const body = options.body ?? '';
  let pairs = signedPairs(target, method, path, body, options);
  if (options.tamper !== undefined) pairs = options.tamper(pairs);
  const query = renderQuery(pairs, options.style);
  return send(target.url, method, `${path}?${query}`, {
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(body.length > 0 ? { body } : {}),
  });
}

/** `POST /apps/{id}{path}` with `body` as JSON (a string is sent verbatim). */
export function post(
  target: RestTarget,
  path: string,
  body: unknown,
  options: SignOptions & SendOptions = {},
): Promise<RestResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return signedRequest(target, 'POST', `/apps/${target.app.id}${path}`, { ...options, body: text });
}

/** `GET /apps/{id}{path}` with `params` in the query. */
export function get(
  target: RestTarget,
  path: string,
  params: Record<string, string> = {},
  options: SignOptions & SendOptions = {},
): Promise<RestResponse> {
  return signedRequest(target, 'GET', `/apps/${target.app.id}${path}`, {
    ...options,
    params: [...Object.entries(params), ...(options.params ?? [])],
  });
}
