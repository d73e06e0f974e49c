import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpPoster, type HttpPoster } from '../../src/webhooks/http-post.js';
import { WebhookReceiver, rawHeaderNames } from '../helpers/webhook-receiver.js';

const body = Buffer.from('{"time_ms":1,"events":[]}', 'utf8');
const headers = {
  'Content-Type': 'application/json',
  'X-Pusher-Key': 'k',
  'X-Pusher-Signature': 'sig',
  'Content-Length': String(body.length),
};

describe('httpPoster (node:http, keep-alive)', () => {
  let receiver: WebhookReceiver;
  let poster: HttpPoster;
  let url: URL;

  before(async () => {
    receiver = await WebhookReceiver.start();
    url = new URL(receiver.url);
    poster = httpPoster(url, 1);
  });
  after(async () => {
    poster.destroy();
    await receiver.close();
  });

  const post = () => poster.post(url, headers, body, new AbortController().signal);

  it('sends the header names exactly as given and the body byte for byte', async () => {
    assert.equal(await post(), 200);
    const request = await receiver.nextRequest();
    assert.equal(request.rawBody, body.toString('utf8'));
    for (const name of ['Content-Type', 'X-Pusher-Key', 'X-Pusher-Signature', 'Content-Length']) {
      assert.deepEqual(rawHeaderNames(request, name.toLowerCase()), [name]);
    }
  });

  it('resolves with any status; reuses the kept-alive connection', async () => {
    receiver.plan(500);
    assert.equal(await post(), 500);
    assert.equal(await post(), 200);
    const [first, second] = [await receiver.nextRequest(), await receiver.nextRequest()];
    assert.equal(second.connection, first.connection, 'one socket for both');
  });

  it('a reused connection cut by the receiver is tried once more, not reported', async () => {
    assert.equal(await post(), 200);
    const warm = await receiver.nextRequest();
    receiver.plan('reset');
    assert.equal(await post(), 200);
    const [cut, again] = [await receiver.nextRequest(), await receiver.nextRequest()];
    assert.equal(cut.connection, warm.connection, 'the reset hit the reused socket');
    assert.notEqual(again.connection, cut.connection, 'the second try used a new one');
  });

  it('a fresh connection cut by the receiver is an error for the caller', async () => {
    const fresh = httpPoster(url, 1);
    receiver.plan('reset');
    await assert.rejects(fresh.post(url, headers, body, new AbortController().signal), {
      code: 'ECONNRESET',
    });
    fresh.destroy();
    await receiver.nextRequest();
  });

  it('rejects when the signal aborts a request the receiver does not answer', async () => {
    receiver.plan('hang');
    const controller = new AbortController();
    const pending = poster.post(url, headers, body, controller.signal);
    await receiver.nextRequest();
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  });
});
