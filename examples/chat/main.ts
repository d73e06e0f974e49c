/**
 * `npm run example:chat`: herald and the chat's backend in one process, for trying the example
 * in a browser. herald runs in-process through its public API (`createHerald` from `herald`) on
 * a free port; the chat listens on PORT (default 3000). Ctrl-C stops both.
 *
 * In a real app herald is a process of its own (`npx herald start`, a Procfile line) and the
 * backend reads its address from configuration; nothing in server.ts would change.
 */
import { createHerald } from 'herald';
import { startChatServer, type ChatServer } from './server.js';

/** The app's credentials: herald accepts them, the backend signs with them. */
const app = { id: 'chat', key: 'chat-key', secret: 'chat-secret' };

function portFromEnv(): number {
  const text = process.env.PORT ?? '3000';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    console.error(`PORT must be a port number (0 picks a free one), not ${JSON.stringify(text)}`);
    process.exit(1);
  }
  return port;
}

const port = portFromEnv();
const herald = createHerald({
  port: 0,
  appId: app.id,
  key: app.key,
  secret: app.secret,
  // The control API under /__herald/, to try reconnects with curl; on loopback only, as here.
  dev: true,
  logLevel: 'warn',
});
const { websocket, api } = await herald.start();

/** The backend, pointed at the herald above; exits with a message when PORT is taken. */
async function startChat(): Promise<ChatServer> {
  try {
    return await startChatServer({
      port,
      pusher: {
        appId: app.id,
        key: app.key,
        secret: app.secret,
        host: api.host,
        port: String(api.port), // the SDK wants a string
        useTLS: false,
      },
      pusherJs: {
        cluster: 'herald', // pusher-js 8 throws without one, even with wsHost; any value works
        wsHost: websocket.host,
        wsPort: websocket.port,
        forceTLS: false,
        enabledTransports: ['ws', 'wss'], // herald serves no HTTP fallbacks
      },
    });
  } catch (error) {
    await herald.stop();
    const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    console.error(taken ? `Port ${port} is taken: try PORT=3001 npm run example:chat` : error);
    process.exit(1);
  }
}

const chat = await startChat();
const heraldUrl = `http://${api.host}:${api.port}`;
console.log(`chat: open ${chat.url} in two browsers (or a private window) and pick a name in each`);
console.log(`herald: ${heraldUrl} (control API: ${heraldUrl}/__herald/); Ctrl-C stops both`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await chat.stop();
  await herald.stop();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
