/**
 * Requests the console's page did not make. Other sites can make a browser send requests to
 * herald: a form posted to the event creator, or a page on a domain that resolves to 127.0.0.1
 * (DNS rebinding) reading the log as if it were same-origin. The session cookie is SameSite=Strict,
 * but the open console (loopback, no token) has no cookie to lean on, so every console API request
 * passes these checks.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, HttpStatus } from '../protocol/errors.js';

/** `127.0.0.1:6001` → `127.0.0.1`, `[::1]:6001` → `::1`; undefined when unparsable. */
function hostnameOf(host: string): string | undefined {
  if (!URL.canParse(`http://${host}`)) return undefined;
  return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1');
}

export interface GuardOptions {
  /** True when no sign-in is required: then only a loopback `Host` is answered. */
  readonly open: boolean;
  readonly isLoopback: (host: string) => boolean;
}

/**
 * Throws 403 for a request that names a host other than loopback while the console is open,
 * or that comes from another origin; 415 for a POST whose body is not declared JSON (a plain
 * HTML form cannot send that, and a script on another site cannot without a CORS preflight,
 * which herald never grants).
 */
export function guardRequest(req: IncomingMessage, options: GuardOptions): void {
  const host = req.headers.host ?? '';
  if (options.open) {
    const name = hostnameOf(host);
    const loopback =
      name !== undefined &&
      (options.isLoopback(name) || name === 'localhost' || name.endsWith('.localhost'));
    if (!loopback) {
      throw new ApiError(
        HttpStatus.forbidden,
        `The console answers loopback host names only while it needs no sign-in (Host: ${host})`,
      );
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    // `null` (a sandboxed frame, a file) never equals a host, so it is refused too.
    const from = URL.canParse(origin) ? new URL(origin).host : undefined;
    if (from !== host) {
      throw new ApiError(HttpStatus.forbidden, `Cross-origin console request from ${origin}`);
    }
  }
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new ApiError(
        HttpStatus.unsupported_media_type,
        'Console requests must send Content-Type: application/json',
      );
    }
  }
}
