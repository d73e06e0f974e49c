import { createHash } from 'node:crypto';
import { ApiSignatureError, type ApiSignatureProblem } from './api-signature-refusal.js';
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

export interface VerifyContext {
  /**
   * Whether another app of this server has `key`, so that a 401 can tell a key of the wrong app
   * from one no app has. Without it the 401 says only that the key is not this app's.
   */
  readonly isOtherAppKey?: (key: string) => boolean;
}

/**
 * Verifies a REST request's signature (§5.2), cheapest checks first and the timestamp before any
 * HMAC work. Throws {@link ApiSignatureError} (a 401 `ApiError`) whose first line is the
 * `pusher-signature` gem's wording, followed by which check failed and the string to sign.
 * @param nowSeconds server time in Unix seconds.
 */
export function verifyApiRequest(
  app: SigningApp,
  request: SignedRequest,
  nowSeconds: number,
  context: VerifyContext = {},
): void {
  const failed = signatureProblem(app, request, nowSeconds, context);
  if (failed !== undefined) {
    throw new ApiSignatureError({ failed, stringToSign: apiStringToSign(request) });
  }
}

function signatureProblem(
  app: SigningApp,
  request: SignedRequest,
  nowSeconds: number,
  { isOtherAppKey }: VerifyContext,
): ApiSignatureProblem | undefined {
  // Keys are case-insensitive, as in the string to sign (the `pusher-signature` gem lower-cases).
  const param = (name: string) => request.query.find(([key]) => key.toLowerCase() === name)?.[1];

  const key = param('auth_key');
  if (key === undefined) return { check: 'auth_key', problem: 'missing' };
  // The key and body digest are not secret; only the signature needs a constant-time compare.
  if (key !== app.key) {
    return { check: 'auth_key', problem: 'unknown', given: key, otherApp: isOtherAppKey?.(key) };
  }

  const version = param('auth_version');
  if (version === undefined) return { check: 'auth_version', problem: 'missing' };
  if (version !== '1.0') return { check: 'auth_version', problem: 'unsupported', given: version };

  const timestamp = param('auth_timestamp');
  if (timestamp === undefined) return { check: 'auth_timestamp', problem: 'missing' };
  const seconds = /^\d+$/.test(timestamp);
  if (!seconds || Math.abs(nowSeconds - Number(timestamp)) >= TIMESTAMP_WINDOW_SECONDS) {
    return {
      check: 'auth_timestamp',
      problem: seconds ? 'outside_window' : 'not_seconds',
      given: timestamp,
      serverTime: nowSeconds,
      windowSeconds: TIMESTAMP_WINDOW_SECONDS,
    };
  }

  const bodyMd5 = param('body_md5');
  const bodyBytes = request.body.length;
  if (bodyBytes > 0 && bodyMd5 === undefined) {
    return { check: 'body_md5', problem: 'missing', bodyBytes };
  }
  if (bodyMd5 !== undefined) {
    const actual = md5Hex(request.body);
    if (bodyMd5 !== actual) {
      return { check: 'body_md5', problem: 'mismatch', given: bodyMd5, bodyBytes, bodyMd5: actual };
    }
  }

  const signature = param('auth_signature');
  if (signature === undefined) return { check: 'auth_signature', problem: 'missing' };
  if (!signaturesMatch(signature, hmacSha256Hex(app.secret, apiStringToSign(request)))) {
    return { check: 'auth_signature', problem: 'mismatch', given: signature };
  }
  return undefined;
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
