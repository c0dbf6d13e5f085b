import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authKeyHost, authLookupKeys, helperServerUrl, normalizeAuthKey, sameRegistry } from './auth-key.ts';

test('normalizeAuthKey', () => {
  const cases: [string, string][] = [
    ['quay.io', 'quay.io'],
    ['Quay.IO', 'quay.io'],
    ['localhost:5000', 'localhost:5000'],
    ['quay.io/ns', 'quay.io/ns'],
    ['quay.io/ns/app/', 'quay.io/ns/app'],
    ['https://quay.io', 'quay.io'],
    ['https://quay.io/v1/', 'quay.io'],
    ['http://localhost:5000/v2/ns', 'localhost:5000'],
    ['HTTPS://Index.Docker.io/v1/', 'docker.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io/library', 'docker.io/library'],
    ['index.docker.io/library/alpine', 'docker.io/library/alpine'],
    ['[::1]:5000', '[::1]:5000'],
    [' quay.io ', 'quay.io'],
  ];
  for (const [key, expected] of cases) assert.equal(normalizeAuthKey(key), expected, key);
});

test('authLookupKeys: most specific first', () => {
  assert.deepEqual(authLookupKeys('quay.io', 'ns/sub/app'), ['quay.io/ns/sub/app', 'quay.io/ns/sub', 'quay.io/ns', 'quay.io']);
  assert.deepEqual(authLookupKeys('registry-1.docker.io', 'library/alpine'), ['docker.io/library/alpine', 'docker.io/library', 'docker.io']);
  assert.deepEqual(authLookupKeys('localhost:5000'), ['localhost:5000']);
  assert.deepEqual(authLookupKeys('localhost:5000', '/app/'), ['localhost:5000/app', 'localhost:5000']);
  assert.deepEqual(authLookupKeys('quay.io/ns', 'app'), ['quay.io/ns/app', 'quay.io/ns', 'quay.io']);
});

test('hosts, helper server URLs and registry identity', () => {
  assert.equal(authKeyHost('quay.io/ns/app'), 'quay.io');
  assert.equal(authKeyHost('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(helperServerUrl('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(helperServerUrl('registry-1.docker.io'), 'https://index.docker.io/v1/');
  assert.equal(helperServerUrl('localhost:5000'), 'localhost:5000');
  assert.ok(sameRegistry('index.docker.io', 'docker.io'));
  assert.ok(!sameRegistry('quay.io', 'docker.io'));
});
