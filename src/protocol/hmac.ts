import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA256 of `message` (UTF-8) keyed with `secret`: every Pusher signature. */
export function hmacSha256Hex(secret: string, message: string | Uint8Array): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

/**
 * Constant-time comparison of a signature as sent with the expected one. Lengths are compared
 * first (that leaks only the length, which is public: 64 hex digits).
 */
export function signaturesMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
