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
 * constant time per candidate. Throws a {@link SubscriptionError} worded as §2.4 prescribes.
 * The first candidate is the canonical one and is the one named in the error.
 */
export function verifyToken(
  app: SigningApp,
  auth: string | undefined,
  subject: string,
  candidates: readonly [string, ...string[]],
): void {
  if (auth === undefined || auth === '') {
    throw new SubscriptionError('AuthError', 401, `Auth info required to subscribe to ${subject}`);
  }
  const colon = auth.indexOf(':');
  if (colon < 1) {
    throw new SubscriptionError(
      'AuthError',
      401,
      'Invalid format: auth must have the format key:signature',
    );
  }
  const key = auth.slice(0, colon);
  const signature = auth.slice(colon + 1);
  if (!signaturesMatch(key, app.key)) {
    throw new SubscriptionError(
      'AuthError',
      401,
      `Invalid key in subscription auth data: '${key}'`,
    );
  }
  let ok = false;
  // Every candidate is checked so the time taken does not reveal which one matched.
  for (const candidate of candidates) {
    if (signaturesMatch(signature, hmacSha256Hex(app.secret, candidate))) ok = true;
  }
  if (!ok) {
    throw new SubscriptionError(
      'AuthError',
      401,
      `Invalid signature: Expected HMAC SHA256 hex digest of ${candidates[0]}, but got ${signature}`,
    );
  }
}
