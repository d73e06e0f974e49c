import { hmacSha256Hex } from './hmac.js';

/**
 * `X-Pusher-Signature` of a webhook (PROTOCOL.md §6.1): lowercase hex HMAC-SHA256 of the body,
 * keyed with the app secret. Pass the exact bytes that go on the wire; a body serialized again
 * after signing (different key order, spacing or escaping) no longer verifies.
 */
export function webhookSignature(secret: string, body: string | Uint8Array): string {
  return hmacSha256Hex(secret, body);
}
