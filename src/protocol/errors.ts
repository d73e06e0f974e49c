/**
 * The one table of every code herald speaks: WebSocket close codes (PROTOCOL.md §1.6), codes carried
 * only inside `pusher:error` frames, subscription error types (§2.4) and REST statuses (§5.9).
 * Errors are raised where they are detected and turned into a frame or response in one place per
 * layer (the connection for WebSocket, `respond()` for HTTP).
 */

/** Close codes. 4000–4099: don't reconnect; 4100–4199: back off; 4200–4299: reconnect now. */
export const CloseCode = {
  ssl_only: 4000,
  app_not_found: 4001,
  app_disabled: 4003,
  over_connection_quota: 4004,
  path_not_found: 4005,
  invalid_version_format: 4006,
  unsupported_protocol: 4007,
  no_protocol_version: 4008,
  unauthorized: 4009,
  over_capacity: 4100,
  reconnect_now: 4200,
  pong_not_received: 4201,
  closed_after_inactivity: 4202,
  /** WebSocket's own "message too big" (RFC 6455 §7.4.1); pusher-js reconnects after 1 s. */
  message_too_big: 1009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes that travel only inside `pusher:error` on a connection that stays open (never a close). */
export const ErrorCode = {
  client_event_rate_limit: 4301,
  watchlist_limit: 4302,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Messages for close codes, in Pusher's wording; also the `message` of the preceding `pusher:error`. */
export const closeMessage: Readonly<Record<CloseCode, string>> = {
  4000: 'Application only accepts SSL connections, reconnect using wss://',
  4001: 'Application does not exist',
  4003: 'Application disabled',
  4004: 'Application is over connection quota',
  4005: 'Path not found',
  4006: 'Invalid version string format',
  4007: 'Unsupported protocol version',
  4008: 'No protocol version supplied',
  4009: 'Connection is unauthorized',
  4100: 'Over capacity',
  4200: 'Server is restarting, reconnect immediately',
  4201: 'Pong reply not received',
  4202: 'Closed after inactivity',
  1009: 'Message too big',
};

/** A connection-level problem reported with `pusher:error` while the connection stays open. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** `null` for request-level problems (hosted Pusher's behaviour), else a code from {@link ErrorCode}. */
  readonly code: ErrorCode | null;
  /** Set when the problem concerns one channel; pusher-js then also emits it on that channel. */
  readonly channel: string | undefined;

  constructor(message: string, code: ErrorCode | null = null, channel?: string) {
    super(message);
    this.code = code;
    this.channel = channel;
  }
}

/** `type` values of `pusher:subscription_error`, mirroring what pusher-js builds for auth failures. */
export type SubscriptionErrorType = 'AuthError' | 'InvalidChannel' | 'LimitReached';

/** A rejected subscription: becomes a channel-scoped `pusher:subscription_error` (§2.4). */
export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
  constructor(
    readonly type: SubscriptionErrorType,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP statuses the REST API answers with (§5.9). */
export const HttpStatus = {
  ok: 200,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
} as const;
export type HttpStatus = (typeof HttpStatus)[keyof typeof HttpStatus];

/** A REST request that cannot be served; `respond()` turns it into a status and a text body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: HttpStatus,
    message: string,
    /** Response headers the status requires (`allow` on 405, `connection: close` on 413). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const knownMessages: Readonly<Partial<Record<number, string>>> = closeMessage;

/** Throws a RangeError unless `code` is one of the table's or any other of 4000–4999. */
export function checkCloseCode(code: number): void {
  if (knownMessages[code] !== undefined) return;
  if (!Number.isInteger(code) || code < 4000 || code > 4999) {
    throw new RangeError(`Close code ${code} is outside 4000–4999`);
  }
}

/** The table's message for `code`, or a generic one for other codes of 4000–4999. */
export function closeMessageOf(code: number): string {
  checkCloseCode(code);
  return knownMessages[code] ?? 'Closed by the server';
}
