import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { givenFlags, startOptions } from '../../src/cli/flags.js';
import { loadConfig } from '../../src/config/loader.js';
import { appsOf, ConfigError, parseConfig } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-webhooks-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(content: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** `herald start ...argv` through the real flag table, without starting anything. */
function fromArgv(argv: string[], env: Record<string, string> = {}) {
  const command = new Command('start').exitOverride().configureOutput({ writeErr: () => {} });
  for (const option of startOptions()) command.addOption(option);
  command.parse(argv, { from: 'user' });
  return loadConfig({
    env,
    flags: givenFlags(command.opts(), (n) => command.getOptionValueSource(n)),
  });
}

function rejects(run: () => unknown, ...parts: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const part of parts) assert.ok(error.message.includes(part), error.message);
    return true;
  });
}

const app = { id: '1', key: 'k', secret: 's' };

describe('config: webhooks per app', () => {
  it('accepts url, events and headers, and defaults to no webhooks', () => {
    const config = parseConfig({
      apps: [
        {
          ...app,
          webhooks: [
            { url: 'https://example.com/hooks', events: ['channel_occupied', 'member_added'] },
            { url: 'http://127.0.0.1:3000/pusher', headers: { 'X-Token': 'abc' } },
          ],
        },
        { id: '2', key: 'k2', secret: 's2' },
      ],
    });
    assert.deepEqual(config.apps?.[0]?.webhooks, [
      { url: 'https://example.com/hooks', events: ['channel_occupied', 'member_added'] },
      { url: 'http://127.0.0.1:3000/pusher', headers: { 'X-Token': 'abc' } },
    ]);
    assert.deepEqual(config.apps?.[1]?.webhooks, []);
  });

  it('refuses a URL that is not absolute http(s), naming the option', () => {
    for (const url of ['ftp://example.com/x', '/relative', 'not a url', 'javascript:alert(1)']) {
      rejects(
        () => parseConfig({ apps: [{ ...app, webhooks: [{ url }] }] }),
        'apps.0.webhooks.0.url',
        'http',
      );
    }
  });

  it('refuses unknown event names, an empty filter and unknown keys', () => {
    rejects(
      () =>
        parseConfig({ apps: [{ ...app, webhooks: [{ url: 'http://a.test', events: ['nope'] }] }] }),
      'apps.0.webhooks.0.events.0',
    );
    rejects(
      () => parseConfig({ apps: [{ ...app, webhooks: [{ url: 'http://a.test', events: [] }] }] }),
      'apps.0.webhooks.0.events',
    );
    rejects(
      () => parseConfig({ apps: [{ ...app, webhooks: [{ url: 'http://a.test', secret: 'x' }] }] }),
      'apps.0.webhooks.0',
    );
  });

  it('refuses headers herald sets itself, in any case, and malformed ones', () => {
    for (const name of ['content-type', 'X-Pusher-Signature', 'X-PUSHER-KEY', 'Content-Length']) {
      rejects(
        () =>
          parseConfig({
            apps: [{ ...app, webhooks: [{ url: 'http://a.test', headers: { [name]: 'x' } }] }],
          }),
        `apps.0.webhooks.0.headers.${name}`,
        'set by herald',
      );
    }
    rejects(
      () =>
        parseConfig({
          apps: [{ ...app, webhooks: [{ url: 'http://a.test', headers: { 'Bad Name': 'x' } }] }],
        }),
      'apps.0.webhooks.0.headers',
    );
    rejects(
      () =>
        parseConfig({
          apps: [{ ...app, webhooks: [{ url: 'http://a.test', headers: { 'X-A': 'a\r\nB: c' } }] }],
        }),
      'apps.0.webhooks.0.headers.X-A',
    );
  });
});

describe('config: delivery options', () => {
  it('has the defaults of PROTOCOL.md §6.2', () => {
    const config = parseConfig({});
    assert.deepEqual(
      [
        config.webhookBatchMs,
        config.vacateDelayMs,
        config.webhookTimeoutMs,
        config.webhookRetryWindowMs,
        config.webhookRetryDelayMs,
        config.webhookQueueSize,
        config.webhookConcurrency,
      ],
      [50, 3000, 4000, 300_000, 1000, 1000, 2],
    );
  });

  it('allows a vacate delay and batch window of 0, refuses negative or fractional values', () => {
    const config = parseConfig({ vacateDelayMs: 0, webhookBatchMs: 0, webhookRetryWindowMs: 0 });
    assert.equal(config.vacateDelayMs, 0);
    assert.equal(config.webhookBatchMs, 0);
    rejects(() => parseConfig({ vacateDelayMs: -1 }), 'vacateDelayMs');
    rejects(() => parseConfig({ webhookBatchMs: 1.5 }), 'webhookBatchMs');
    rejects(() => parseConfig({ webhookTimeoutMs: 0 }), 'webhookTimeoutMs');
    rejects(() => parseConfig({ webhookConcurrency: 0 }), 'webhookConcurrency');
  });
});

describe('config: --webhook-url and HERALD_WEBHOOK_URL', () => {
  it('--webhook-url is repeatable and gives the default app those URLs, all events', () => {
    const config = fromArgv([
      '--webhook-url',
      'http://127.0.0.1:3000/a',
      '--webhook-url',
      'https://example.com/b',
    ]);
    assert.deepEqual(appsOf(config)[0]?.webhooks, [
      { url: 'http://127.0.0.1:3000/a' },
      { url: 'https://example.com/b' },
    ]);
  });

  it('HERALD_WEBHOOK_URL takes a comma list; the flag wins over it', () => {
    const fromEnv = fromArgv([], { HERALD_WEBHOOK_URL: ' http://a.test/1 , http://a.test/2,' });
    assert.deepEqual(
      appsOf(fromEnv)[0]?.webhooks.map((webhook) => webhook.url),
      ['http://a.test/1', 'http://a.test/2'],
    );
    const both = fromArgv(['--webhook-url', 'http://flag.test/'], {
      HERALD_WEBHOOK_URL: 'http://env.test/',
    });
    assert.deepEqual(
      appsOf(both)[0]?.webhooks.map((webhook) => webhook.url),
      ['http://flag.test/'],
    );
  });

  it('refuses a bad URL in the flag, naming the option', () => {
    rejects(() => fromArgv(['--webhook-url', 'example.com/hooks']), 'webhookUrl.0');
  });

  it('with apps in the config file: refused alone, added to the default app when it is named', () => {
    const config = file({ apps: [{ id: 'file', key: 'file-key', secret: 'file-secret' }] });
    rejects(
      () => fromArgv(['--config', config, '--webhook-url', 'http://a.test/']),
      'webhookUrl',
      'config file lists apps',
    );
    const named = fromArgv(['--config', config, '--webhook-url', 'http://a.test/', '-i', 'dflt']);
    assert.deepEqual(
      named.apps?.map((entry) => [entry.id, entry.webhooks.map((webhook) => webhook.url)]),
      [
        ['dflt', ['http://a.test/']],
        ['file', []],
      ],
    );
  });
});
