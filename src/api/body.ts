import type { IncomingMessage } from 'node:http';
import { ApiError, HttpStatus } from '../protocol/errors.js';

/**
 * Reads a request body up to `limit` bytes. Over the limit it stops reading and throws 413 with
 * `Connection: close`, so the rest of the body is never read: the socket is closed after the
 * answer (checked from Content-Length first, so an honest oversized request is refused unread).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): ApiError {
  return new ApiError(
    HttpStatus.payload_too_large,
    `Request body too large: the limit is ${limit} bytes`,
    { connection: 'close' },
  );
}

/** Parses a JSON object body; an empty body is `{}`. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(HttpStatus.bad_request, 'Invalid JSON in request body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(HttpStatus.bad_request, 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
