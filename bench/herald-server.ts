/**
 * herald under test, in its own process: the programmatic test helper on 127.0.0.1, a free port,
 * a silent log and every other option at its default, so the bench measures what users run.
 */
import { randomBytes } from 'node:crypto';
import { CloseCode } from '../src/protocol/errors.js';
import { startHerald } from '../src/testing/index.js';
import { serveChild } from './child.js';

serveChild(async () => {
  const herald = await startHerald({
    appId: 'bench',
    key: 'bench-key',
    secret: randomBytes(16).toString('hex'),
  });
  // Counted from the lifecycle event, so the stalled-reader bench learns of each 4100 close
  // without asking herald for its connection list.
  let overCapacityCloses = 0;
  herald.server.lifecycle.on('connection_closed', ({ code }) => {
    if (code === CloseCode.over_capacity) overCapacityCloses++;
  });
  return {
    port: herald.port,
    app: herald.app,
    overCapacityCloses: () => overCapacityCloses,
    stop: () => herald.stop(),
  };
});
