import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../errors.ts';
import {
  familiarString,
  formatReference,
  parseReference,
  registryEndpoint,
  repositoryPath,
  withDefaultTag,
  type ImageReference,
} from './reference.ts';

const SHA = `sha256:${'a'.repeat(64)}` as const;
const SHA512 = `sha512:${'b'.repeat(128)}` as const;

describe('parseReference: valid references', () => {
  const cases: [input: string, expected: ImageReference, familiar: string][] = [
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }, 'nginx'],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }, 'nginx:1.25'],
    ['bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis' }, 'bitnami/redis'],
    ['library/a/b', { registry: 'docker.io', repository: 'library/a/b' }, 'library/a/b'],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }, 'nginx'],
    ['docker.io/library/nginx:latest', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, 'nginx:latest'],
    ['index.docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }, 'nginx'],
    ['registry-1.docker.io/foo/bar:v1', { registry: 'docker.io', repository: 'foo/bar', tag: 'v1' }, 'foo/bar:v1'],
    ['quay.io/ns/app:1.0', { registry: 'quay.io', repository: 'ns/app', tag: '1.0' }, 'quay.io/ns/app:1.0'],
    ['registry.example:5000/ns/app', { registry: 'registry.example:5000', repository: 'ns/app' }, 'registry.example:5000/ns/app'],
    ['myhost:5000/app:v2', { registry: 'myhost:5000', repository: 'app', tag: 'v2' }, 'myhost:5000/app:v2'],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app' }, '127.0.0.1:5000/app'],
    ['localhost/app', { registry: 'localhost', repository: 'app' }, 'localhost/app'],
    ['localhost:5000/app:1', { registry: 'localhost:5000', repository: 'app', tag: '1' }, 'localhost:5000/app:1'],
    // As in docker: without a slash, "localhost:5000" is the official image "localhost" tagged 5000.
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }, 'localhost:5000'],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }, '[::1]:5000/app'],
    ['[::1]/ns/app:t', { registry: '[::1]', repository: 'ns/app', tag: 't' }, '[::1]/ns/app:t'],
    ['[fe80::1:2]:443/app', { registry: '[fe80::1:2]:443', repository: 'app' }, '[fe80::1:2]:443/app'],
    ['Registry.Example/app', { registry: 'Registry.Example', repository: 'app' }, 'Registry.Example/app'],
    ['a/b-c/d__e/f.g/h---i', { registry: 'docker.io', repository: 'a/b-c/d__e/f.g/h---i' }, 'a/b-c/d__e/f.g/h---i'],
    ['nginx:_Tag.-x', { registry: 'docker.io', repository: 'library/nginx', tag: '_Tag.-x' }, 'nginx:_Tag.-x'],
    [`nginx:${'t'.repeat(128)}`, { registry: 'docker.io', repository: 'library/nginx', tag: 't'.repeat(128) }, `nginx:${'t'.repeat(128)}`],
    [`nginx@${SHA}`, { registry: 'docker.io', repository: 'library/nginx', digest: SHA }, `nginx@${SHA}`],
    [`ghcr.io/o/app@${SHA512}`, { registry: 'ghcr.io', repository: 'o/app', digest: SHA512 }, `ghcr.io/o/app@${SHA512}`],
    [`nginx:1.25@${SHA}`, { registry: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: SHA }, `nginx:1.25@${SHA}`],
    [`localhost:5000/app:1@${SHA}`, { registry: 'localhost:5000', repository: 'app', tag: '1', digest: SHA }, `localhost:5000/app:1@${SHA}`],
  ];
  for (const [input, expected, familiar] of cases) {
    it(input.length > 60 ? `${input.slice(0, 60)}…` : input, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, expected);
      assert.equal(familiarString(ref), familiar);
      // Both printed forms read back to the same reference.
      assert.deepEqual(parseReference(formatReference(ref)), ref);
      assert.deepEqual(parseReference(familiarString(ref)), ref);
    });
  }
});

describe('parseReference: errors name the input and the rule', () => {
  const cases: [input: string, rule: RegExp][] = [
    ['', /reference is empty/],
    ['Nginx', /repository name must be lowercase/],
    ['quay.io/NS/app', /repository name must be lowercase/],
    ['nginx:', /tag must match \[A-Za-z0-9_\]\[A-Za-z0-9_.-\]\{0,127\}/],
    ['nginx:-bad', /tag must match/],
    ['nginx:a+b', /tag must match/],
    [`nginx:${'t'.repeat(129)}`, /tag must match/],
    ['nginx@', /digest ""/],
    ['nginx@sha256:abc', /digest "sha256:abc": expected 64 lowercase hex/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported algorithm "md5"/],
    [`nginx@sha256:${'A'.repeat(64)}`, /expected 64 lowercase hex/],
    [`nginx@${SHA}@${SHA}`, /digest/],
    ['a//b', /empty path component/],
    ['quay.io//app', /empty path component/],
    ['quay.io/app/', /empty path component/],
    ['/app', /empty path component/],
    ['quay.io/', /empty path component/],
    [':tag', /repository name is empty/],
    ['a/-b', /path component "-b" must match/],
    ['a/b_', /path component "b_" must match/],
    ['a/b___c', /path component "b___c" must match/],
    ['a b', /path component "a b" must match/],
    ['localhost:0/app', /port must be 1-65535/],
    ['localhost:65536/app', /port must be 1-65535/],
    ['localhost:/app', /port must be 1-65535/],
    ['localhost:http/app', /port must be 1-65535/],
    [':5000/app', /empty host/],
    ['-bad.example/app', /registry host "-bad.example"/],
    ['a..b/app', /registry host "a..b"/],
    ['[::1/app', /registry "\[::1"/],
    ['[zz::1]:5000/app', /IPv6/],
    ['[fe80::1%eth0]/app', /IPv6/],
    ['a:1:2/app', /HOST\[:PORT\]/],
    [`quay.io/${'a'.repeat(248)}`, /total name exceeds 255 characters/],
    // The limit applies to the normalised name, docker.io/library/ included (as distribution).
    ['n'.repeat(238), /total name exceeds 255 characters/],
  ];
  for (const [input, rule] of cases) {
    it(JSON.stringify(input.length > 50 ? `${input.slice(0, 50)}…` : input), () => {
      assert.throws(
        () => parseReference(input),
        (error: unknown) => {
          assert.ok(isFerryError(error, 'INVALID_REFERENCE'), `expected INVALID_REFERENCE, got ${String(error)}`);
          assert.ok(error.message.includes(`"${input}"`), `message quotes the input: ${error.message}`);
          assert.match(error.message, rule);
          assert.ok(error.hint);
          return true;
        },
      );
    });
  }

  it('accepts a name of exactly 255 characters', () => {
    const ref = parseReference(`quay.io/${'a'.repeat(247)}`);
    assert.equal(repositoryPath(ref).length, 255);
  });
});

describe('withDefaultTag', () => {
  it('adds latest only when neither tag nor digest is present', () => {
    assert.equal(withDefaultTag(parseReference('nginx')).tag, 'latest');
    assert.equal(withDefaultTag(parseReference('nginx:1')).tag, '1');
    const byDigest = withDefaultTag(parseReference(`nginx@${SHA}`));
    assert.equal(byDigest.tag, undefined);
    assert.equal(byDigest.digest, SHA);
  });
  it('does not modify its argument', () => {
    const ref = parseReference('nginx');
    withDefaultTag(ref);
    assert.equal(ref.tag, undefined);
  });
});

describe('formatting helpers', () => {
  it('formatReference writes the fully qualified form', () => {
    assert.equal(formatReference(parseReference(`nginx:1.25@${SHA}`)), `docker.io/library/nginx:1.25@${SHA}`);
    assert.equal(formatReference(parseReference('localhost:5000/app')), 'localhost:5000/app');
  });
  it('repositoryPath drops tag and digest', () => {
    assert.equal(repositoryPath(parseReference(`nginx:1@${SHA}`)), 'docker.io/library/nginx');
    assert.equal(repositoryPath(parseReference('[::1]:5000/ns/app:x')), '[::1]:5000/ns/app');
  });
  it('registryEndpoint maps Docker Hub to its API host only', () => {
    assert.equal(registryEndpoint('docker.io'), 'registry-1.docker.io');
    assert.equal(registryEndpoint('index.docker.io'), 'registry-1.docker.io');
    assert.equal(registryEndpoint('quay.io'), 'quay.io');
    assert.equal(registryEndpoint('localhost:5000'), 'localhost:5000');
    assert.equal(registryEndpoint('[::1]:5000'), '[::1]:5000');
  });
});
