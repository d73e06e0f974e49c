/**
 * The notifier's tests, against a real herald started in-process: no Pusher account, no quota,
 * no network. Run them with `node --test examples/node-app/`.
 *
 * The pattern: one herald for the file (`before`), a `reset()` after each test so none sees
 * another's channels, clients or recorded events, and `stop()` at the end.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Pusher from 'pusher';
import PusherJs from 'pusher-js';
import { startHerald } from 'herald/testing';
import { createNotifier, userChannel } from './notifier.js';

let herald;
let notifier;
const browsers = [];

before(async () => {
  // record: true lets a test ask herald what the app sent, without a client listening.
  herald = await startHerald({ record: true });
  notifier = createNotifier(new Pusher(herald.pusherOptions));
});

afterEach(async () => {
  // Clients first: a pusher-js client the server closes (reset does) keeps a timer for 30 s in
  // its Node build, which would keep this process alive that long.
  for (const browser of browsers.splice(0)) browser.disconnect();
  await herald.reset();
});

after(() => herald.stop());

/** A pusher-js client, as the user's browser would run it, signed in as `user`. */
function browserOf(user) {
  const browser = new PusherJs(herald.app.key, {
    ...herald.pusherJsOptions,
    channelAuthorization: {
      // What the page's POST to /pusher/auth would get from the app.
      customHandler: ({ socketId, channelName }, callback) => {
        const { status, body } = notifier.authorize(user, socketId, channelName);
        if (status === 200) callback(null, body);
        else callback(new Error(body.error), null);
      },
    },
  });
  browsers.push(browser);
  return browser;
}

describe('notifier', () => {
  it('sends order-shipped to the user, with what the UI needs', async () => {
    await notifier.orderShipped('42', { id: 7, carrier: 'DHL' });

    // No browser needed: the record is what the server accepted from the SDK.
    const sent = await herald.waitFor({ channel: userChannel('42'), event: 'order-shipped' });
    assert.deepEqual(JSON.parse(sent.data), { orderId: 7, carrier: 'DHL' });
  });

  it("reaches the user's browser", async () => {
    const browser = browserOf({ id: '42' });
    const channel = browser.subscribe(userChannel('42'));
    // Triggering before the subscription is in would race: wait for herald to confirm it.
    await herald.waitFor({ kind: 'subscribed', channel: userChannel('42') });

    const received = new Promise((resolve) => channel.bind('order-shipped', resolve));
    await notifier.orderShipped('42', { id: 8, carrier: 'UPS' });
    assert.deepEqual(await received, { orderId: 8, carrier: 'UPS' });
  });

  it("refuses another user's channel", async () => {
    const browser = browserOf({ id: '7' });
    const channel = browser.subscribe(userChannel('42'));
    const refused = new Promise((resolve) => channel.bind('pusher:subscription_error', resolve));

    assert.equal((await refused).error, 'private-user-42 is not yours');
    // herald never had a subscription request: the auth endpoint said no first.
    assert.deepEqual(herald.events({ kind: 'subscribed' }), []);
  });

  it('still reaches the browser after its connection drops', async () => {
    const browser = browserOf({ id: '42' });
    const channel = browser.subscribe(userChannel('42'));
    const first = await herald.waitFor({ kind: 'subscribed', channel: userChannel('42') });

    // As a deploy would: 4200 tells pusher-js to reconnect at once, and it resubscribes.
    herald.disconnect(first.socketId, { code: 4200 });
    await herald.waitFor({ kind: 'subscribed', channel: userChannel('42'), after: first.seq });

    const received = new Promise((resolve) => channel.bind('order-shipped', resolve));
    await notifier.orderShipped('42', { id: 9, carrier: 'DPD' });
    assert.deepEqual(await received, { orderId: 9, carrier: 'DPD' });
  });
});
