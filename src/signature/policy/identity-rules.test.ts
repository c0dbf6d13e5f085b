import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReference } from '../../ref/reference.ts';
import { checkSignedIdentity, matchesPrefix, remapReference, validateIdentityPrefix } from './identity-rules.ts';
import type { SignedIdentity } from './policy-format.ts';

const D1 = `sha256:${'1'.repeat(64)}`;

test('signedIdentity rules decide which claimed identities fit the image', () => {
  const exactRef = (r: string): SignedIdentity => ({ type: 'exactReference', dockerReference: r });
  const exactRepo = (r: string): SignedIdentity => ({ type: 'exactRepository', dockerRepository: r });
  const remap = (prefix: string, signedPrefix: string): SignedIdentity => ({ type: 'remapIdentity', prefix, signedPrefix });
  const table: Array<[rule: SignedIdentity | undefined, image: string | undefined, claimed: string, accepted: boolean]> = [
    // matchRepoDigestOrExact (the default): a tag needs the exact reference, a digest any tag of the repository.
    [undefined, 'quay.io/ns/app:1.0', 'quay.io/ns/app:1.0', true],
    [undefined, 'quay.io/ns/app:1.0', 'quay.io/ns/app:2.0', false],
    [undefined, `quay.io/ns/app@${D1}`, 'quay.io/ns/app:2.0', true],
    [undefined, `quay.io/ns/app@${D1}`, 'quay.io/other:2.0', false],
    [undefined, 'quay.io/ns/app:1.0', 'quay.io/ns/app', false],
    // Short names in signatures are expanded as docker does.
    [undefined, 'docker.io/library/busybox:latest', 'busybox:latest', true],
    [{ type: 'matchExact' }, 'quay.io/ns/app:1.0', 'quay.io/ns/app:1.0', true],
    [{ type: 'matchExact' }, `quay.io/ns/app@${D1}`, 'quay.io/ns/app:1.0', false],
    [{ type: 'matchRepository' }, 'quay.io/ns/app:latest', 'quay.io/ns/app:1.0', true],
    [{ type: 'matchRepository' }, 'quay.io/ns/app:latest', 'quay.io/ns/app', true],
    [{ type: 'matchRepository' }, 'quay.io/ns/app:latest', 'quay.io/ns/other:1.0', false],
    // The exact rules ignore the image's own name, so they work for images without one (dir:, oci:).
    [exactRef('quay.io/ns/app:1.0'), undefined, 'quay.io/ns/app:1.0', true],
    [exactRef('quay.io/ns/app:1.0'), undefined, 'quay.io/ns/app:1.1', false],
    [exactRepo('quay.io/ns/app'), undefined, 'quay.io/ns/app:9', true],
    [exactRepo('quay.io/ns/app'), undefined, 'quay.io/ns/other:9', false],
    [{ type: 'matchRepository' }, undefined, 'quay.io/ns/app:1.0', false],
    // remapIdentity: a mirror's name is mapped back to the signed one, then matchRepoDigestOrExact.
    [remap('mirror.local/quay', 'quay.io'), 'mirror.local/quay/ns/app:1.0', 'quay.io/ns/app:1.0', true],
    [remap('mirror.local/quay', 'quay.io'), 'mirror.local/quay/ns/app:1.0', 'mirror.local/quay/ns/app:1.0', false],
    [remap('mirror.local/quay', 'quay.io'), `mirror.local/quay/ns/app@${D1}`, 'quay.io/ns/app:7', true],
    // Outside the prefix nothing is remapped.
    [remap('mirror.local/quay', 'quay.io'), 'other.local/ns/app:1.0', 'other.local/ns/app:1.0', true],
    // "busybox" prefixes "busybox:1" but not "busybox-foo".
    [remap('docker.io/library/busybox', 'quay.io/base/busybox'), 'docker.io/library/busybox-foo:1', 'quay.io/base/busybox-foo:1', false],
    [undefined, 'quay.io/ns/app:1.0', 'NOT A REFERENCE', false],
  ];
  for (const [rule, image, claimed, accepted] of table) {
    const why = checkSignedIdentity(rule, image === undefined ? undefined : parseReference(image), claimed);
    assert.equal(why === undefined, accepted, `${rule?.type ?? 'default'} image=${image} claimed=${claimed}: ${why}`);
  }
});

test('remapIdentity prefixes match at name boundaries and must stay canonical', () => {
  assert.equal(matchesPrefix('docker.io/library/busybox:1', 'docker.io/library/busybox'), true);
  assert.equal(matchesPrefix('docker.io/library/busybox/x:1', 'docker.io/library/busybox'), true);
  assert.equal(matchesPrefix('docker.io/library/busybox-foo:1', 'docker.io/library/busybox'), false);
  assert.equal(matchesPrefix('docker.io/library/busybox', 'docker.io/library/busybox'), true);
  // "docker.io/busybox" is not how docker.io/library/busybox is written canonically: no match.
  assert.equal(remapReference(parseReference('m.local/x/busybox:1'), 'm.local/x', 'docker.io'), undefined);
});

test('remap prefixes are host[:port] or host/namespace, without tag or digest', () => {
  const table: Array<[string, boolean]> = [
    ['quay.io', true],
    ['registry.local:5000', true],
    ['quay.io/ns/app', true],
    ['[::1]:5000/ns', true],
    ['quay.io/ns/app:1.0', false],
    [`quay.io/ns/app@${D1}`, false],
    ['*.example.com', false],
    ['', false],
  ];
  for (const [prefix, valid] of table) assert.equal(validateIdentityPrefix(prefix) === undefined, valid, prefix);
});
