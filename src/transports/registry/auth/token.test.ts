import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { isFerryError, type FerryError } from '../../../errors.ts';
import { requirePeer } from '../../../../test/helpers/peers.ts';
import { freePort } from '../../../../test/helpers/ports.ts';
import { startTokenServer, type TokenServer } from '../../../../test/helpers/token-server.ts';
import { DEFAULT_TOKEN_LIFETIME_S, fetchToken } from './token.ts';

const PASSWORD = 'correct-horse-battery';
const WRONG = 'Tr0ub4dor&3-wrong';

/** Every string reachable from an error: message, hint, details, and the whole cause chain as inspected. */
function everything(error: FerryError): string {
  const parts: string[] = [inspect(error, { depth: 10 }), JSON.stringify(error.http ?? {}), error.hint ?? ''];
  for (let cause: unknown = error.cause; cause !== undefined; cause = (cause as { cause?: unknown }).cause) {
    parts.push(inspect(cause, { depth: 10 }), String(cause));
  }
  return parts.join('\n');
}

describe('fetchToken against the token server', { skip: requirePeer('openssl') }, () => {
  let server: TokenServer;
  before(async () => {
    server = await startTokenServer({
      users: { alice: PASSWORD },
      issuer: 'iss',
      service: 'svc',
      refreshTokens: { 'refresh-abc': 'alice' },
    });
  });
  after(() => server?.stop());

  test('basic credentials: GET with Basic auth, account and every scope', async () => {
    const before = Date.now();
    const token = await fetchToken({
      realm: server.realm,
      service: 'svc',
      scopes: ['repository:a:pull,push', 'repository:b:pull'],
      credentials: { kind: 'basic', username: 'alice', password: PASSWORD },
    });
    assert.equal(token.token.split('.').length, 3, 'a JWT');
    assert.ok(token.expiresAt >= before + 300_000 && token.expiresAt <= Date.now() + 300_000);
    assert.ok(token.issuedAt !== undefined && Math.abs(token.issuedAt - Date.now()) < 5_000);
    const seen = server.requests.at(-1)!;
    assert.deepEqual(
      { method: seen.method, account: seen.account, user: seen.user, scopes: seen.scopes, service: seen.service, status: seen.status },
      { method: 'GET', account: 'alice', user: 'alice', scopes: ['repository:a:pull,push', 'repository:b:pull'], service: 'svc', status: 200 },
    );
  });

  test('a wrong password is UNAUTHORIZED and the password appears nowhere in the error', async () => {
    await assert.rejects(
      fetchToken({ realm: server.realm, service: 'svc', scopes: ['repository:a:pull'], credentials: { kind: 'basic', username: 'alice', password: WRONG } }),
      (error: unknown) => {
        assert.ok(isFerryError(error, 'UNAUTHORIZED'), String(error));
        assert.match(error.message, /rejected user "alice"/);
        assert.equal(error.http?.status, 401);
        assert.equal(error.http?.url.startsWith(`${server.realm}?service=svc`), true);
        const all = everything(error);
        for (const form of [WRONG, Buffer.from(`alice:${WRONG}`).toString('base64'), encodeURIComponent(WRONG)]) {
          assert.ok(!all.includes(form), `secret leaked as ${form}`);
        }
        return true;
      },
    );
  });

  test('anonymous: no Authorization, no account', async () => {
    const token = await fetchToken({ realm: server.realm, service: 'svc', scopes: ['repository:a:pull'] });
    assert.ok(token.token.length > 0);
    const seen = server.requests.at(-1)!;
    assert.equal(seen.sentCredentials, false);
    assert.equal(seen.account, undefined);
  });

  test('identity tokens are traded with an OAuth2 refresh_token POST', async () => {
    const token = await fetchToken({
      realm: server.realm,
      service: 'svc',
      scopes: ['repository:a:pull', 'repository:b:push'],
      credentials: { kind: 'identity-token', identityToken: 'refresh-abc' },
    });
    const seen = server.requests.at(-1)!;
    assert.deepEqual([seen.method, seen.grantType, seen.user], ['POST', 'refresh_token', 'alice']);
    assert.deepEqual(seen.scopes, ['repository:a:pull', 'repository:b:push']);
    assert.ok(token.refreshToken !== undefined && token.refreshToken !== 'refresh-abc', 'the server rotated the refresh token');
  });

  test('registry tokens need no token endpoint', async () => {
    const count = server.requests.length;
    const token = await fetchToken({ realm: server.realm, scopes: [], credentials: { kind: 'registry-token', registryToken: 'rt' } });
    assert.equal(token.token, 'rt');
    assert.equal(token.expiresAt, Number.POSITIVE_INFINITY);
    assert.equal(server.requests.length, count);
  });

  test('realm user info is dropped before the request', async () => {
    const realm = server.realm.replace('http://', 'http://eve:stolen@');
    await fetchToken({ realm, service: 'svc', scopes: [] });
    assert.equal(server.requests.at(-1)!.sentCredentials, false);
  });
});

describe('fetchToken falls back to GET when OAuth2 is not offered', { skip: requirePeer('openssl') }, () => {
  test('POST 404, then GET with the identity token as Basic password', async (t) => {
    const server = await startTokenServer({ users: {}, issuer: 'iss', service: 'svc', oauth: false, refreshTokens: { 'refresh-xyz': 'bob' } });
    t.after(() => server.stop());
    const token = await fetchToken({ realm: server.realm, service: 'svc', scopes: ['repository:a:pull'], credentials: { kind: 'identity-token', identityToken: 'refresh-xyz' } });
    assert.ok(token.token.length > 0);
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.status, r.user]),
      [
        ['POST', 404, undefined],
        ['GET', 200, 'bob'],
      ],
    );
  });
});

/** A server answering every request with `reply`; records the raw requests. */
async function scripted(t: { after(fn: () => unknown): void }, reply: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(reply);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('fetchToken maps token endpoint answers to errors', () => {
  const basic = { kind: 'basic', username: 'u', password: 'echo-me-secret' } as const;

  test('status codes', async (t) => {
    const cases: [number, Record<string, string>, unknown, string, boolean][] = [
      [401, {}, { details: 'incorrect username or password' }, 'UNAUTHORIZED', false],
      [403, {}, { errors: [{ code: 'DENIED', message: 'no access' }] }, 'DENIED', false],
      [429, { 'retry-after': '3' }, {}, 'TOO_MANY_REQUESTS', true],
      [503, {}, 'down', 'REGISTRY', true],
      [400, {}, { error: 'invalid_request', error_description: 'bad scope' }, 'REGISTRY', false],
    ];
    for (const [status, headers, body, code, retryable] of cases) {
      const realm = await scripted(t, (_req, res) => json(res, status, body, headers));
      await assert.rejects(fetchToken({ realm, service: 's', scopes: [], credentials: basic }), (error: unknown) => {
        assert.ok(isFerryError(error), String(error));
        assert.equal(error.code, code, `${status}`);
        assert.equal(error.retryable, retryable, `${status}`);
        assert.equal(error.http?.status, status);
        if (status === 429) assert.equal(error.http?.retryAfterMs, 3000);
        if (status === 400) assert.match(error.message, /bad scope/);
        return true;
      });
    }
  });

  test('anonymous 401 asks for credentials', async (t) => {
    const realm = await scripted(t, (_req, res) => json(res, 401, {}));
    await assert.rejects(fetchToken({ realm, scopes: [] }), (error: unknown) => {
      assert.ok(isFerryError(error, 'UNAUTHORIZED'));
      assert.match(error.message, /requires credentials/);
      assert.match(error.hint ?? '', /ferry login/);
      return true;
    });
  });

  test('a server that echoes the password has it redacted', async (t) => {
    const realm = await scripted(t, (req, res) => {
      const auth = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString();
      json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: `bad credentials ${auth}` }] });
    });
    await assert.rejects(fetchToken({ realm, scopes: [], credentials: basic }), (error: unknown) => {
      assert.ok(isFerryError(error, 'UNAUTHORIZED'));
      assert.match(error.message, /bad credentials u:\[redacted\]/);
      assert.ok(!everything(error).includes('echo-me-secret'));
      return true;
    });
  });

  test('bodies without a token, and defaults for what is missing', async (t) => {
    const noToken = await scripted(t, (_req, res) => json(res, 200, { expires_in: 10 }));
    await assert.rejects(fetchToken({ realm: noToken, scopes: [] }), (error: unknown) => isFerryError(error, 'REGISTRY'));
    const notJson = await scripted(t, (_req, res) => res.end('<html>'));
    await assert.rejects(fetchToken({ realm: notJson, scopes: [] }), (error: unknown) => isFerryError(error, 'REGISTRY'));
    const accessOnly = await scripted(t, (_req, res) => json(res, 200, { access_token: 'at', issued_at: 'garbage', expires_in: -5 }));
    const now = 5_000_000;
    const token = await fetchToken({ realm: accessOnly, scopes: [], now: () => now });
    assert.deepEqual(token, { token: 'at', obtainedAt: now, expiresAt: now + DEFAULT_TOKEN_LIFETIME_S * 1000, issuedAt: undefined, refreshToken: undefined });
  });

  test('realms must be http(s) URLs', async () => {
    for (const realm of ['ftp://auth.example/token', 'file:///etc/passwd', 'not a url']) {
      await assert.rejects(fetchToken({ realm, scopes: [] }), (error: unknown) => isFerryError(error, 'REGISTRY'), realm);
    }
  });

  test('connection refused is a retryable NETWORK error; cancellation is ABORTED', async (t) => {
    const port = await freePort();
    await assert.rejects(fetchToken({ realm: `http://127.0.0.1:${port}/token`, scopes: [], credentials: basic }), (error: unknown) => {
      assert.ok(isFerryError(error, 'NETWORK'), String(error));
      assert.ok(error.retryable);
      assert.ok(!everything(error).includes('echo-me-secret'));
      return true;
    });
    const hanging = await scripted(t, () => {
      // never answers
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(fetchToken({ realm: hanging, scopes: [], signal: controller.signal }), (error: unknown) => isFerryError(error, 'ABORTED'));
    await assert.rejects(fetchToken({ realm: hanging, scopes: [], signal: AbortSignal.abort() }), (error: unknown) => isFerryError(error, 'ABORTED'));
  });
});
