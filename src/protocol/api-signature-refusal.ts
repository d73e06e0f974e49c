/**
 * Why a REST request's signature was refused (PROTOCOL.md §5.2), as data and as the text of the
 * 401. The first line keeps the `pusher-signature` gem's wording, which users search for and
 * SDKs surface as is; the lines after it say which check failed, why, and the exact string the
 * server signed. Nothing in it comes from the secret: the expected signature of a request would
 * let anyone who can send one sign it without knowing the secret.
 */
import { ApiError, HttpStatus } from './errors.js';

/** The checks of §5.2 in the order they run; the first one that fails is reported. */
export const apiSignatureChecks = [
  'auth_key',
  'auth_version',
  'auth_timestamp',
  'body_md5',
  'auth_signature',
] as const;
export type ApiSignatureCheck = (typeof apiSignatureChecks)[number];

/**
 * The failed check and what was wrong with it. `given` is what the client sent; `bodyMd5` is
 * the MD5 of the body the server received, which anyone holding the body can compute.
 */
export type ApiSignatureProblem =
  | { readonly check: 'auth_key'; readonly problem: 'missing' }
  | {
      readonly check: 'auth_key';
      readonly problem: 'unknown';
      readonly given: string;
      /** Whether another app of this server has the key; undefined when the caller can't tell. */
      readonly otherApp: boolean | undefined;
    }
  | { readonly check: 'auth_version'; readonly problem: 'missing' }
  | { readonly check: 'auth_version'; readonly problem: 'unsupported'; readonly given: string }
  | { readonly check: 'auth_timestamp'; readonly problem: 'missing' }
  | {
      readonly check: 'auth_timestamp';
      readonly problem: 'not_seconds' | 'outside_window';
      readonly given: string;
      /** Server time, Unix seconds. */
      readonly serverTime: number;
      readonly windowSeconds: number;
    }
  | { readonly check: 'body_md5'; readonly problem: 'missing'; readonly bodyBytes: number }
  | {
      readonly check: 'body_md5';
      readonly problem: 'mismatch';
      readonly given: string;
      readonly bodyBytes: number;
      readonly bodyMd5: string;
    }
  | { readonly check: 'auth_signature'; readonly problem: 'missing' }
  | { readonly check: 'auth_signature'; readonly problem: 'mismatch'; readonly given: string };

export interface ApiSignatureRefusal {
  readonly failed: ApiSignatureProblem;
  /** The canonical string the server built from the request: method, path, sorted query. */
  readonly stringToSign: string;
}

/** A refused signature: a 401 whose message is {@link explainApiRefusal}'s text. */
export class ApiSignatureError extends ApiError {
  constructor(readonly refusal: ApiSignatureRefusal) {
    super(HttpStatus.unauthorized, explainApiRefusal(refusal));
  }
}

/** The first line of the 401, in the `pusher-signature` gem's wording (PROTOCOL.md §5.2). */
export function refusalSummary({ failed, stringToSign }: ApiSignatureRefusal): string {
  switch (failed.check) {
    case 'auth_key':
      return failed.problem === 'missing' ? 'Missing parameter: auth_key' : 'Unknown auth_key';
    case 'auth_version':
      return failed.problem === 'missing' ? 'Version required' : 'Version not supported';
    case 'auth_timestamp':
      return failed.problem === 'missing'
        ? 'Missing parameter: auth_timestamp'
        : `Timestamp expired: Given timestamp (${failed.given}) not within ${failed.windowSeconds}s of server time (${failed.serverTime})`;
    case 'body_md5':
      return 'Invalid body_md5';
    case 'auth_signature':
      return failed.problem === 'missing'
        ? 'Missing parameter: auth_signature'
        : `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(stringToSign)}, your_secret_key), but you sent "${failed.given}"`;
  }
}

/** Why the check failed and what to change, in one sentence. */
export function refusalReason(failed: ApiSignatureProblem): string {
  const quote = JSON.stringify;
  switch (failed.problem) {
    case 'missing':
      return failed.check === 'body_md5'
        ? `the request has a ${failed.bodyBytes}-byte body but no body_md5 (the lowercase hex MD5 of the body as sent).`
        : `the query has no ${failed.check}${missingHint[failed.check]}.`;
    case 'unknown':
      if (failed.otherApp === false)
        return `no app on this server has the key ${quote(failed.given)}.`;
      return failed.otherApp === true
        ? `${quote(failed.given)} is another app's key, not the key of the app whose id is in the path: sign with the id, key and secret of one app.`
        : `${quote(failed.given)} is not the key of the app whose id is in the path.`;
    case 'unsupported':
      return `auth_version is ${quote(failed.given)}; the only version is 1.0.`;
    case 'not_seconds':
      return `auth_timestamp ${quote(failed.given)} is not Unix time in whole seconds.`;
    case 'outside_window': {
      // Date.now() where Date.now() / 1000 was meant: a common slip in hand-written signers.
      if (/^\d{13}$/.test(failed.given)) {
        return `auth_timestamp ${failed.given} looks like milliseconds; it must be Unix time in seconds.`;
      }
      const offset = Number(failed.given) - failed.serverTime;
      const direction = offset > 0 ? 'ahead of' : 'behind';
      return (
        `auth_timestamp is ${Math.abs(offset)} s ${direction} the server's clock; it must be less ` +
        `than ${failed.windowSeconds} s away: synchronise the clocks (NTP) and sign each request when it is sent.`
      );
    }
    case 'mismatch':
      if (failed.check === 'auth_signature') {
        return (
          "the signature is not the HMAC-SHA256 of the string to sign below with this app's " +
          "secret: the secret you sign with is not the server's, or the string you sign differs " +
          'from this one (compare them byte for byte).'
        );
      }
      return failed.bodyBytes === 0
        ? `body_md5 ${quote(failed.given)} was sent but the server received no body (whose MD5 is ${failed.bodyMd5}).`
        : `body_md5 ${quote(failed.given)} is not the MD5 of the ${failed.bodyBytes}-byte body the server received (${failed.bodyMd5}): the body changed after it was signed, or the MD5 is of other bytes or not lowercase hex.`;
  }
}

const missingHint: Readonly<Record<Exclude<ApiSignatureCheck, 'body_md5'>, string>> = {
  auth_key: " (the app's key)",
  auth_version: ' (it must be 1.0)',
  auth_timestamp: ' (Unix time in seconds)',
  auth_signature: '',
};

/**
 * The whole 401 text: the summary, then `Failed check: <check> (<problem>)`, `Why: …` and
 * `String to sign: "…"` (JSON-quoted so newlines and spaces are exact), one per line. Tools
 * such as `herald doctor` read the `Failed check:` line.
 */
export function explainApiRefusal(refusal: ApiSignatureRefusal): string {
  const { failed, stringToSign } = refusal;
  return [
    refusalSummary(refusal),
    `Failed check: ${failed.check} (${failed.problem}); checks run in the order ${apiSignatureChecks.join(', ')}.`,
    `Why: ${refusalReason(failed)}`,
    `String to sign (method, path and the query sorted by key without auth_signature, joined by \\n): ${JSON.stringify(stringToSign)}`,
  ].join('\n');
}

/** The `Failed check:` line of a 401 body, for clients that explain it; undefined if absent. */
export function failedCheckOf(
  text: string,
): { readonly check: ApiSignatureCheck; readonly problem: string } | undefined {
  const match = /^Failed check: ([a-z_0-9]+) \(([a-z_]+)\)/m.exec(text);
  const check = apiSignatureChecks.find((name) => name === match?.[1]);
  return check === undefined ? undefined : { check, problem: match![2]! };
}
