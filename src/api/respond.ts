import type { ServerResponse } from 'node:http';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import {
  ApiSignatureError,
  refusalReason,
  refusalSummary,
} from '../protocol/api-signature-refusal.js';
import type { Log } from '../core/log.js';

/** A JSON success body; every REST success is a JSON object (pusher-http-ruby parses each one). */
export type ApiResult = Record<string, unknown>;

/** Writes a success as JSON. */
export function respondJson(res: ServerResponse, body: ApiResult, status: number = HttpStatus.ok) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The one place a failure becomes a response: an {@link ApiError} gets its status and message as
 * plain text (what hosted Pusher sends; the SDKs surface it as is). Anything else is our bug:
 * logged, and answered 500 without details.
 */
export function respondError(res: ServerResponse, error: unknown, log: Log): void {
  let status: number = HttpStatus.internal;
  let message = 'Internal server error';
  let headers: Readonly<Record<string, string>> = {};
  if (error instanceof ApiError) {
    status = error.status;
    message = error.message;
    headers = error.headers;
    if (error instanceof ApiSignatureError) logRefusal(log, error);
  } else {
    log.error({ err: error }, 'HTTP API request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${message}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A refused signature is the client's mistake, so it is not an error of ours; at debug level the
 * operator can still see why, with the same explanation the client got.
 */
function logRefusal(log: Log, { refusal }: ApiSignatureError): void {
  const { failed, stringToSign } = refusal;
  log.debug(
    { check: failed.check, problem: failed.problem, stringToSign, why: refusalReason(failed) },
    `REST request refused (401): ${refusalSummary(refusal)}`,
  );
}
