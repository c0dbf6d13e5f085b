import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError, isPermanent, isRetryable } from '../../errors.ts';
import { responseError, transportError } from './http-errors.ts';

const details = { method: 'PUT', url: 'https://r.example/v2/app/blobs/uploads/x' };

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test('a connection reset is a retryable NETWORK error', () => {
  const err = transportError(systemError('ECONNRESET', 'socket hang up'), details, '--dest-tls-verify');
  assert.equal(err.code, 'NETWORK');
  assert.equal(isRetryable(err), true);
  assert.equal(isPermanent(err), false);
});

test('a local file failure carried by a request body is IO, neither NETWORK nor retried', () => {
  for (const code of ['EACCES', 'ENOENT', 'EIO']) {
    const err = transportError(new Error('upload failed', { cause: systemError(code, `${code}: open '/srv/layout/blobs/sha256/ab'`) }), details, '--dest-tls-verify');
    assert.equal(err.code, 'IO', code);
    assert.equal(isRetryable(err), false, code);
    assert.match(err.message, /local content/);
  }
});

test('a FerryError from the body (a digest the verifying stream refused) passes through unchanged', () => {
  const mismatch = new FerryError('DIGEST_MISMATCH', 'blob sha256:ab: content hashes to sha256:cd');
  assert.equal(transportError(mismatch, details, '--dest-tls-verify'), mismatch);
});

test('responses: 5xx and 429 retryable, 404 and 401 permanent, other 4xx REGISTRY and not retried', () => {
  const cases: Array<[number, string, boolean, boolean]> = [
    [503, 'REGISTRY', true, false],
    [429, 'TOO_MANY_REQUESTS', true, false],
    [404, 'NOT_FOUND', false, true],
    [401, 'UNAUTHORIZED', false, true],
    [403, 'DENIED', false, true],
    [400, 'REGISTRY', false, false],
  ];
  for (const [status, code, retryable, permanent] of cases) {
    const err = responseError(status, '', details, 'docker://r.example/app');
    assert.equal(err.code, code, String(status));
    assert.equal(isRetryable(err), retryable, String(status));
    assert.equal(isPermanent(err), permanent, String(status));
  }
});

test('errors that are not FerryErrors are bugs: permanent, never retried', () => {
  assert.equal(isPermanent(new TypeError('x is undefined')), true);
  assert.equal(isRetryable(new TypeError('x is undefined')), false);
  assert.equal(isPermanent(new FerryError('ABORTED', 'operation cancelled')), true);
  assert.equal(isPermanent(new FerryError('IO', 'disk full')), false);
});
