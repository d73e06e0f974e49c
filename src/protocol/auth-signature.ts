import { SubscriptionError } from './errors.js';
import { hmacSha256Hex, signaturesMatch } from './hmac.js';

/** Credentials needed to check a token; the secret never leaves the server. */
export interface SigningApp {
  readonly key: string;
  readonly secret: string;
}

/** String to sign for a private/encrypted subscription, or presence with `channel_data` (§4.1). */
export function channelStringToSign(socketId: string, channel: string, channelData?: string) {
  return channelData === undefined
    ? `${socketId}:${channel}`
    : `${socketId}:${channel}:${channelData}`;
}

/** String to sign for `pusher:signin` (§2.10): `user_data` exactly as received. */
export function userStringToSign(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/** `{key}:{hex signature}` as an app's auth endpoint returns it; used by tests and fixtures. */
export function signToken(app: SigningApp, stringToSign: string): string {
  return `${app.key}:${hmacSha256Hex(app.secret, stringToSign)}`;
}

/**
 * Checks a subscription or signin token against one or more acceptable strings to sign, in
 * constant time per candidate. Throws a {@link SubscriptionError} worded as §2.4 prescribes,
 * followed by which part of the token failed and, for a signature, the exact strings the server
 * signed (they hold no secret; hosted Pusher quotes them too). The first candidate is the
 * canonical one.
 */
export function verifyToken(
  app: SigningApp,
  auth: string | undefined,
  subject: string,
  candidates: readonly [string, ...string[]],
): void {
  const refuse = (message: string, explanation: string) =>
    new SubscriptionError('AuthError', 401, `${message}. ${explanation}`);
  if (auth === undefined || auth === '') {
    throw refuse(
      `Auth info required to subscribe to ${subject}`,
      'Failed part: auth (missing): send the "auth" your auth endpoint returns, "<app key>:<signature>".',
    );
  }
  const colon = auth.indexOf(':');
  if (colon < 1) {
    throw refuse(
      'Invalid format: auth must have the format key:signature',
      `Failed part: auth (malformed): ${colon === -1 ? 'it has no ":"' : 'nothing comes before its ":"'}; it must be "<app key>:<signature>".`,
    );
  }
  const key = auth.slice(0, colon);
  const signature = auth.slice(colon + 1);
  if (!signaturesMatch(key, app.key)) {
    throw refuse(
      `Invalid key in subscription auth data: '${key}'`,
      `Failed part: key (before ":"): it is not the key of the app this connection uses ('${app.key}'), so it names no app or another app; sign with the key and secret of that app.`,
    );
  }
  let ok = false;
  // Every candidate is checked so the time taken does not reveal which one matched.
  for (const candidate of candidates) {
    if (signaturesMatch(signature, hmacSha256Hex(app.secret, candidate))) ok = true;
  }
  if (!ok) {
    const signed = candidates.map(
      (candidate) => `${JSON.stringify(candidate)} (${shapeOf(candidate, subject)})`,
    );
    const socketId = candidates[0].slice(0, candidates[0].indexOf(':'));
    throw refuse(
      `Invalid signature: Expected HMAC SHA256 hex digest of ${candidates[0]}, but got ${signature}`,
      `Failed part: signature (after ":"): it is not the HMAC-SHA256, with this app's secret, of the string to sign ${signed.join(' or ')}; the auth endpoint must sign exactly that, with this connection's socket_id ${socketId} and the secret of the app whose key is '${app.key}'.`,
    );
  }
}

/** Names the fields of a string to sign (§4.1), for the refusal's text. */
function shapeOf(stringToSign: string, subject: string): string {
  const rest = stringToSign.slice(stringToSign.indexOf(':') + 1);
  if (rest.startsWith(':user::')) return 'socket_id::user::user_data';
  return rest === subject ? 'socket_id:channel' : 'socket_id:channel:channel_data';
}
