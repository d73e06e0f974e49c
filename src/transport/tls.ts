/**
 * TLS for the listeners: the certificate and key, read and checked once at start-up, and what
 * `node:https` leaves to its user — connections whose handshake fails, and those still in their
 * handshake when the server closes.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/schema.js';

/** PEM contents, as `https.createServer` takes them. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The paths of the `tlsCert` and `tlsKey` options. */
export interface TlsFiles {
  readonly tlsCert: string;
  readonly tlsKey: string;
}

type TlsOption = keyof TlsFiles;

function invalid(option: TlsOption, text: string): ConfigError {
  return new ConfigError(`Invalid configuration:\n  ${option}: ${text}`);
}

const readReasons: Partial<Record<string, string>> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

function readPem(option: TlsOption, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw invalid(option, `cannot read ${path}: ${readReasons[code ?? ''] ?? message}`);
  }
}

/** OpenSSL's reason without its codes: `error:0480006C:PEM routines::no start line` → the end. */
const reasonOf = (error: unknown) => (error as Error).message.split(':').at(-1)!.trim();

/**
 * Reads `tlsCert` and `tlsKey` and checks that they are PEM and belong together, so a wrong
 * path fails the start, not every client's handshake. Throws a ConfigError naming the option
 * and the file.
 */
export function readTlsCredentials(files: TlsFiles): TlsCredentials {
  const cert = readPem('tlsCert', files.tlsCert);
  const key = readPem('tlsKey', files.tlsKey);
  try {
    createSecureContext({ cert });
  } catch (error) {
    throw invalid('tlsCert', `${files.tlsCert} is not a PEM certificate (${reasonOf(error)})`);
  }
  try {
    createSecureContext({ key });
  } catch (error) {
    // Node would need the passphrase for every start; an unencrypted key file is the norm.
    if ((error as NodeJS.ErrnoException).code === 'ERR_OSSL_BAD_DECRYPT') {
      throw invalid(
        'tlsKey',
        `${files.tlsKey} is encrypted; give it unencrypted (openssl pkey -in encrypted.pem ` +
          '-out key.pem)',
      );
    }
    throw invalid('tlsKey', `${files.tlsKey} is not a PEM private key (${reasonOf(error)})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw invalid(
      'tlsKey',
      `${files.tlsKey} is not the private key of the certificate in ${files.tlsCert} ` +
        `(${reasonOf(error)})`,
    );
  }
  return { cert, key };
}

/** Per TLS server, the TCP connections whose handshake has not finished, by peer address. */
const handshaking = new WeakMap<object, Map<string, Socket>>();

const peerOf = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Handles what happens before a connection is TLS. A failed handshake — a plain `http://` or
 * `ws://` client, a client that does not trust the certificate, a scanner — only closes that
 * connection: it is routine on a public port, so it is neither an error nor logged. Connections
 * still in their handshake are tracked for {@link endHandshakes}.
 */
export function guardHandshakes(server: Server): void {
  const pending = new Map<string, Socket>();
  handshaking.set(server, pending);
  // `connection` carries the TCP socket, `secureConnection` the TLS one wrapping it; both have
  // the peer's address, which tells one connection on this listener from any other.
  server.on('connection', (socket: Socket) => {
    const peer = peerOf(socket);
    pending.set(peer, socket);
    socket.once('close', () => {
      if (pending.get(peer) === socket) pending.delete(peer);
    });
  });
  server.on('secureConnection', (socket: Socket) => pending.delete(peerOf(socket)));
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
}

/**
 * Closes the connections still in their handshake. No request has begun on them, so this is as
 * graceful as `closeIdleConnections()`, which does not see them: they are not HTTP connections
 * yet, and `server.close()` would wait for their handshake timeout (120 s).
 */
export function endHandshakes(server: object): void {
  for (const socket of handshaking.get(server)?.values() ?? []) socket.destroy();
}
