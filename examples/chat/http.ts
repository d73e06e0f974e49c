/**
 * The HTTP plumbing `node:http` leaves to the app: reading a body within a limit, JSON and form
 * bodies, JSON answers, and one place where an error becomes a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A refusal with its HTTP status, thrown where the problem is found and answered in `sendError`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Largest request body, in bytes: a message of 500 characters is at most 2 KB of UTF-8. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The body as text. Beyond MAX_BODY_BYTES it stops reading and answers 413 with `Connection:
 * close`, so the rest is never read (an async iterator would destroy the socket before the
 * answer could be sent).
 */
function readText(req: IncomingMessage): Promise<string> {
  const tooLarge = new HttpError(413, `The body is larger than ${MAX_BODY_BYTES} bytes`, {
    connection: 'close',
  });
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function requireType(req: IncomingMessage, type: string): void {
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== type) throw new HttpError(415, `Send the body as ${type}`);
}

/**
 * A JSON object body. Only with `Content-Type: application/json`: a cross-site HTML form cannot
 * send that type, so another site cannot post a message with the visitor's cookie.
 */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  requireType(req, 'application/json');
  let value: unknown;
  try {
    value = JSON.parse(await readText(req));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'The body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'The body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** A form-encoded body: what pusher-js posts to the auth endpoints (`socket_id`, `channel_name`). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  requireType(req, 'application/x-www-form-urlencoded');
  return new URLSearchParams(await readText(req));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The one place a failure becomes a response: an HttpError is answered `{"error": message}` with
 * its status; anything else is a bug of ours, reported through `log` and answered 500.
 */
export function sendError(
  res: ServerResponse,
  error: unknown,
  log: (error: unknown) => void,
): void {
  if (!(error instanceof HttpError)) log(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError ? error.message : 'Internal server error';
  const text = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...(error instanceof HttpError ? error.headers : {}),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
