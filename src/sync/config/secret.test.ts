import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Secret } from './secret.ts';

test('a secret never prints its value', () => {
  const s = new Secret('hunter2');
  const holder = { credentials: { kind: 'basic', username: 'me', password: s } };
  for (const text of [String(s), `${s}`, JSON.stringify(holder), inspect(holder, { depth: 10, showHidden: true }), inspect(s), JSON.stringify({ ...s })]) {
    assert.equal(text.includes('hunter2'), false, text);
  }
  assert.match(JSON.stringify(holder), /"password":"<redacted>"/);
  assert.equal(s.reveal(), 'hunter2');
  assert.equal(s.isEmpty(), false);
  assert.equal(new Secret('').isEmpty(), true);
});
