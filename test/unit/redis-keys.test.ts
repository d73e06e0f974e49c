/** Redis names: everything under the prefix, app ids unable to run into the next segment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisKeys, records } from '../../src/scaling/redis/redis-keys.js';
import { redactUrl } from '../../src/scaling/redis/redis-connection.js';

const keys = new RedisKeys('hx');

test('every name starts with the prefix and a colon', () => {
  const names = [
    keys.occupied('1'),
    keys.channel('1', 'news'),
    ...keys.presence('1', 'presence-a'),
    keys.user('1', '42'),
    keys.cache('1', 'cache-a'),
    keys.topic('1', 'news'),
    keys.nodes(),
    keys.alive('n'),
    keys.owned('n'),
    keys.reaper('n'),
  ];
  for (const name of names) assert.ok(name.startsWith('hx:'), name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(keys.channel('1', 'news'), 'hx:app:1:channel:news');
});

test('app ids with ":" or "%" cannot collide with other apps or kinds', () => {
  assert.notEqual(keys.channel('a:channel:b', 'c'), keys.channel('a', 'b:channel:c'));
  assert.notEqual(keys.channel('a:b', 'c'), keys.channel('a%3Ab', 'c'));
  assert.equal(keys.channel('a:b%', 'c'), 'hx:app:a%3Ab%25:channel:c');
});

test('a prefix must be non-empty and without spaces', () => {
  assert.throws(() => new RedisKeys(''), /Invalid Redis key prefix/);
  assert.throws(() => new RedisKeys('a b'), /Invalid Redis key prefix/);
});

test('membership records are JSON of well-formed strings', () => {
  assert.equal(records.channel('1', 'news', '1.1'), '["c","1","news","1.1"]');
  assert.equal(records.presence('1', 'p', '1.1', '\ud800'), '["p","1","p","1.1","\ufffd"]');
  assert.equal(records.user('1', 'u', '1.1'), '["u","1","u","1.1"]');
});

test('URLs in messages never show a password', () => {
  assert.equal(redactUrl('redis://:pw@h:1/2'), 'redis://:***@h:1/2');
  assert.equal(redactUrl('rediss://user:pw@h:1'), 'rediss://user:***@h:1');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redactUrl('not a url'), '(unparseable URL)');
});
