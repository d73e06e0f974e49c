import { createHash } from 'node:crypto';
import { ApiError, HttpStatus } from './errors.js';
import { hmacSha256Hex, signaturesMatch } from './hmac.js';
import type { SigningApp } from './auth-signature.js';

/** Pusher's window: the `pusher-signature` gem rejects a difference of 600 s or more. */
export const TIMESTAMP_WINDOW_SECONDS = 600;

export interface SignedRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Request path exactly as on the request line, without the query. */
  readonly path: string;
  /** Query parameters, decoded, in the order they were sent (repeated keys kept). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Raw body bytes (empty for GET). */
  readonly body: Uint8Array;
}

/** Decodes a raw query string with form semantics (`URLSearchParams`), keeping order. */
export function parseQuery(raw: string): Array<[string, string]> {
  return [...new URLSearchParams(raw)];
}

/**
 * The canonical string to sign (§5.2): METHOD, path and every parameter but `auth_signature`,
 * keys lower-cased and stably sorted by key, values decoded and not escaped.
 */
export function apiStringToSign(request: SignedRequest): string {
  const pairs = request.query
    .map(([key, value]) => [key.toLowerCase(), value] as const)
    .filter(([key]) => key !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = pairs.map(([key, value]) => `${key}=${value}`).join('&');
  return `${request.method}\n${request.path}\n${query}`;
}

export function md5Hex(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * Verifies a REST request's signature (§5.2), cheapest checks first and the timestamp before any
 * HMAC work. Throws {@link ApiError} 401 with the `pusher-signature` gem's wording.
 * @param nowSeconds server time in Unix seconds.
 */
export function verifyApiRequest(app: SigningApp, request: SignedRequest, nowSeconds: number) {
  // Keys are case-insensitive, as in the string to sign (the `pusher-signature` gem lower-cases).
  const param = (name: string) => request.query.find(([key]) => key.toLowerCase() === name)?.[1];
  const unauthorized = (message: string) => new ApiError(HttpStatus.unauthorized, message);

  const key = param('auth_key');
  if (key === undefined) throw unauthorized('Missing parameter: auth_key');
  // The key and body digest are not secret; only the signature needs a constant-time compare.
  if (key !== app.key) throw unauthorized('Unknown auth_key');

  const version = param('auth_version');
  if (version === undefined) throw unauthorized('Version required');
  if (version !== '1.0') throw unauthorized('Version not supported');

  const timestamp = param('auth_timestamp');
  if (timestamp === undefined) throw unauthorized('Missing parameter: auth_timestamp');
  const given = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - given) >= TIMESTAMP_WINDOW_SECONDS) {
    throw unauthorized(
      `Timestamp expired: Given timestamp (${timestamp}) not within ${TIMESTAMP_WINDOW_SECONDS}s of server time (${nowSeconds})`,
    );
  }

  const bodyMd5 = param('body_md5');
  if (request.body.length > 0 || bodyMd5 !== undefined) {
    if (bodyMd5 === undefined || bodyMd5 !== md5Hex(request.body)) {
      throw unauthorized('Invalid body_md5');
    }
  }

  const signature = param('auth_signature');
  if (signature === undefined) throw unauthorized('Missing parameter: auth_signature');
  const toSign = apiStringToSign(request);
  if (!signaturesMatch(signature, hmacSha256Hex(app.secret, toSign))) {
    throw unauthorized(
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(toSign)}, your_secret_key), but you sent "${signature}"`,
    );
  }
}

/** Signs a request the way the SDKs do; for tests and tools. Returns the full query string. */
export function signApiRequest(
  app: SigningApp,
  method: string,
  path: string,
  body: string,
  params: Record<string, string> = {},
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const query: Array<[string, string]> = [
    ['auth_key', app.key],
    ['auth_timestamp', String(nowSeconds)],
    ['auth_version', '1.0'],
    ...Object.entries(params),
  ];
  if (body.length > 0) query.push(['body_md5', md5Hex(Buffer.from(body))]);
  const signature = hmacSha256Hex(
    app.secret,
    apiStringToSign({ method, path, query, body: Buffer.from(body) }),
  );
  const search = new URLSearchParams(query);
  search.append('auth_signature', signature);
  return search.toString();
}
