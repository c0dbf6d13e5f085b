import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import { parseImageReferences, parseReleaseMetadata } from './image-references.ts';

const D = `sha256:${'a'.repeat(64)}`;
const stream = (tags: unknown[], name = '4.3.0') => Buffer.from(JSON.stringify({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', metadata: { name }, spec: { tags } }));

test('image-references: the version and every DockerImage component by digest; other tags left out', () => {
  const refs = parseImageReferences(stream([
    { name: 'cli', from: { kind: 'DockerImage', name: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${D}` } },
    { name: 'machine-os', annotations: {} },
    { name: 'tools', from: { kind: 'ImageStreamTag', name: 'x:y' } },
  ]), 'x');
  assert.deepEqual(refs, { version: '4.3.0', components: [{ name: 'cli', image: { registry: 'quay.io', repository: 'openshift-release-dev/ocp-v4.0-art-dev', digest: D } }] });
});

test('image-references that are not a release payload are refused, saying where and why', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('{'), /^w: not JSON/],
    [Buffer.from(JSON.stringify({ kind: 'ImageStreamList' })), /^w: kind: /],
    [stream([], 'bad version!'), /version "bad version!" cannot be a tag/],
    [stream([{ name: 'cli', from: { kind: 'DockerImage', name: 'quay.io/x/y:4.3' } }]), /names quay\.io\/x\/y:4\.3; a release names its images by digest only/],
    [stream([{ name: 'cli', from: { kind: 'DockerImage', name: `quay.io/x/y@${D}` } }, { name: 'cli', from: { kind: 'DockerImage', name: `quay.io/x/y@${D}` } }]), /component "cli" is listed twice/],
    [stream([{ name: 'a b', from: { kind: 'DockerImage', name: `quay.io/x/y@${D}` } }]), /component name "a b" cannot be part of a tag/],
    [stream([{ name: 'cli', from: { kind: 'DockerImage', name: 'Quay.io/X' } }]), /component "cli": invalid image reference/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => parseImageReferences(bytes, 'w'), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_MANIFEST' && message.test(e.message), message.source);
  }
});

test('release-metadata: cincinnati-metadata-v0 with a version', () => {
  assert.deepEqual(parseReleaseMetadata(Buffer.from('{"kind":"cincinnati-metadata-v0","version":"4.3.0","previous":["4.2.9"]}'), 'm'), { version: '4.3.0', previous: ['4.2.9'] });
  assert.throws(() => parseReleaseMetadata(Buffer.from('{"kind":"other","version":"4.3.0"}'), 'm'), /^FerryError: m: kind: /);
});
