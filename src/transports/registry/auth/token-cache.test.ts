import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Credentials } from './credentials.ts';
import { renewMargin, TokenCache, tokenCacheKey } from './token-cache.ts';
import type { Token, TokenRequest } from './token.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function fetcher(c: { now: () => number }, lifetimeS = 60) {
  let calls = 0;
  const fetch = async (_request: TokenRequest): Promise<Token> => {
    calls++;
    return { token: `t${calls}`, obtainedAt: c.now(), expiresAt: c.now() + lifetimeS * 1000 };
  };
  return { fetch, calls: () => calls };
}

const alice: Credentials = { kind: 'basic', username: 'alice', password: 'secret-1' };
const request: TokenRequest = { realm: 'https://auth.example/token', service: 'reg', scopes: ['repository:a:pull'], credentials: alice };

test('tokens are reused until shortly before expiry, then renewed', async () => {
  const c = clock();
  const f = fetcher(c, 60);
  const cache = new TokenCache({ now: c.now });
  assert.equal(await cache.get(request, f.fetch), 't1');
  c.advance(47_000);
  assert.equal(await cache.get(request, f.fetch), 't1', '13 s left of 60: still handed out');
  c.advance(1_000);
  assert.equal(await cache.get(request, f.fetch), 't2', '12 s left (a fifth of the lifetime): renewed');
  assert.equal(f.calls(), 2);

  const long = fetcher(c, 3600);
  const cache2 = new TokenCache({ now: c.now });
  await cache2.get(request, long.fetch);
  c.advance(3_569_000);
  assert.ok(cache2.has(request), '31 s before the end of an hour-long token');
  c.advance(1_000);
  assert.ok(!cache2.has(request), 'renewal starts 30 s before expiry at the latest');
});

test('keys: scope order and duplicates do not matter; realm, service, scopes and credentials do; no secret in a key', () => {
  const key = tokenCacheKey(request);
  assert.equal(tokenCacheKey({ ...request, scopes: ['repository:b:push,pull', 'repository:a:pull'] }), tokenCacheKey({ ...request, scopes: ['repository:a:pull', 'repository:b:pull,push', 'repository:b:pull'] }));
  for (const other of [
    { ...request, realm: 'https://other.example/token' },
    { ...request, service: undefined },
    { ...request, scopes: ['repository:a:pull,push'] },
    { ...request, credentials: undefined },
    { ...request, credentials: { ...alice, password: 'secret-2' } },
    { ...request, credentials: { kind: 'identity-token', identityToken: 'secret-1' } as const },
  ]) {
    assert.notEqual(tokenCacheKey(other), key, JSON.stringify(other.realm));
  }
  assert.doesNotMatch(key, /secret-1/);
});

test('concurrent requests share one fetch; failures are not cached; invalidate forces a new token', async () => {
  const c = clock();
  const cache = new TokenCache({ now: c.now });
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = async (): Promise<Token> => {
    calls++;
    await gate;
    return { token: `s${calls}`, obtainedAt: c.now(), expiresAt: c.now() + 60_000 };
  };
  const all = Promise.all([cache.get(request, slow), cache.get(request, slow), cache.get({ ...request, scopes: [...request.scopes] }, slow)]);
  release();
  assert.deepEqual(await all, ['s1', 's1', 's1']);
  assert.equal(calls, 1);

  assert.ok(cache.invalidate(request));
  assert.ok(!cache.invalidate(request), 'nothing left to invalidate');
  assert.equal(await cache.get(request, slow), 's2');

  const failing = new TokenCache({ now: c.now });
  let attempts = 0;
  const flaky = async (): Promise<Token> => {
    attempts++;
    if (attempts === 1) throw new Error('boom');
    return { token: 'ok', obtainedAt: c.now(), expiresAt: c.now() + 60_000 };
  };
  await assert.rejects(failing.get(request, flaky), /boom/);
  assert.equal(await failing.get(request, flaky), 'ok');
  assert.equal(failing.peek(tokenCacheKey(request))?.token, 'ok', 'string keys work too');
});

test('the cache is bounded: expired entries go first, then the oldest', async () => {
  const c = clock();
  const cache = new TokenCache({ now: c.now, maxEntries: 2 });
  const token = (lifetimeMs: number): Token => ({ token: 'x', obtainedAt: c.now(), expiresAt: c.now() + lifetimeMs });
  cache.set('short', token(1_000));
  cache.set('a', token(60_000));
  c.advance(2_000);
  cache.set('b', token(60_000));
  assert.deepEqual([cache.has('short'), cache.has('a'), cache.has('b')], [false, true, true]);
  cache.set('c', token(60_000));
  assert.deepEqual([cache.has('a'), cache.has('b'), cache.has('c')], [false, true, true]);
  assert.equal(cache.size, 2);
  cache.clear();
  assert.equal(cache.size, 0);
});

test('registry tokens without expiry never need renewal', () => {
  const token: Token = { token: 'x', obtainedAt: 0, expiresAt: Number.POSITIVE_INFINITY };
  assert.equal(renewMargin(token), 30_000);
  const cache = new TokenCache({ now: () => 1e15 });
  cache.set('k', token);
  assert.ok(cache.has('k'));
});
