/**
 * The trigger client: one keep-alive `http.Agent` and the same request code for both servers.
 * herald gets `POST /apps/{id}/events` signed exactly as the `pusher` SDK signs it; the baseline
 * gets the same body on `POST /publish`, unsigned (it checks nothing).
 */
import { Agent, request } from 'node:http';
import { signApiRequest } from '../src/protocol/api-signature.js';
import type { ServerProcess } from './server-process.js';

export interface TriggerClient {
  /** Sends one trigger; resolves on a 200, rejects with the status and body otherwise. */
  send(body: string): Promise<void>;
  close(): void;
}

export function triggerClient(server: ServerProcess, maxSockets: number): TriggerClient {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const { app, port } = server;
  const pathFor =
    app === undefined
      ? () => '/publish'
      : (body: string) => {
          const path = `/apps/${app.id}/events`;
          return `${path}?${signApiRequest(app, 'POST', path, body)}`;
        };
  return {
    send(body) {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: pathFor(body),
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              if (res.statusCode === 200) return resolve();
              const text = Buffer.concat(chunks).toString('utf8').trim();
              reject(new Error(`${server.kind} answered the trigger ${res.statusCode}: ${text}`));
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
