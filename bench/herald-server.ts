/**
 * herald under test, in its own process: the programmatic test helper on 127.0.0.1, a free port,
 * a silent log and every other option at its default, so the bench measures what users run.
 */
import { randomBytes } from 'node:crypto';
import { startHerald } from '../src/testing/index.js';
import { serveChild } from './child.js';

serveChild(async () => {
  const herald = await startHerald({
    appId: 'bench',
    key: 'bench-key',
    secret: randomBytes(16).toString('hex'),
  });
  return { port: herald.port, app: herald.app, stop: () => herald.stop() };
});
