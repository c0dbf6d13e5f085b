import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import { destinationFor, formatTarget } from '../sync/select/destination.ts';
import { signatureConfigMap, installConfigSnippet, mirrorSetName } from './release-manifests.ts';
import { parseReleaseSource, parseReleaseTarget, releaseMappings, releaseSpec, type ReleaseSpecInput } from './release-plan.ts';

const A = `sha256:${'a'.repeat(64)}` as const;
const B = `sha256:${'b'.repeat(64)}` as const;
const R = `sha256:${'c'.repeat(64)}` as const;

const input = (overrides: Partial<ReleaseSpecInput> = {}): ReleaseSpecInput => ({
  source: parseReleaseSource('quay.io/openshift-release-dev/ocp-release:4.3.0-x86_64', undefined),
  digest: R,
  references: {
    version: '4.3.0',
    components: [
      { name: 'cli', image: { registry: 'quay.io', repository: 'openshift-release-dev/ocp-v4.0-art-dev', digest: A } },
      { name: 'installer', image: { registry: 'quay.io', repository: 'openshift-release-dev/ocp-v4.0-art-dev', digest: B } },
    ],
  },
  to: parseReleaseTarget('registry.internal:5000/ocp/release', undefined, '--to', { tag: false }).repository,
  ...overrides,
});

/** Every image of a spec as "source → destination". */
function named(spec: ReturnType<typeof releaseSpec>): string[] {
  return spec.sources.flatMap((rule) => {
    const src = rule.source;
    const digest = rule.tags.kind === 'explicit' ? rule.tags.digests[0]! : A;
    const image = src.kind === 'repository' ? { registry: src.registry, repository: src.repository, digest } : { repository: src.kind === 'oc-disk' ? src.repository : '', digest };
    return rule.destinations.map((d) => `${src.kind === 'repository' ? src.registry + '/' : 'file://'}${image.repository}@${digest.slice(7, 9)} → ${formatTarget(destinationFor(d, image))}`);
  });
}

test('a release as a plan: components by digest to <version>-<name>, the release last to <version> and --to-release-image', () => {
  const spec = releaseSpec(input({ toReleaseImage: parseReleaseTarget('registry.internal:5000/ocp/release-images:4.3.0', undefined, '--to-release-image', { tag: true }) }));
  assert.deepEqual(named(spec), [
    'quay.io/openshift-release-dev/ocp-v4.0-art-dev@aa → docker://registry.internal:5000/ocp/release:4.3.0-cli',
    'quay.io/openshift-release-dev/ocp-v4.0-art-dev@bb → docker://registry.internal:5000/ocp/release:4.3.0-installer',
    'quay.io/openshift-release-dev/ocp-release@cc → docker://registry.internal:5000/ocp/release:4.3.0',
    'quay.io/openshift-release-dev/ocp-release@cc → docker://registry.internal:5000/ocp/release-images:4.3.0',
  ]);
  assert.ok(spec.sources.every((r) => r.platforms.kind === 'all'));
});

test('from and to oc\'s disk format: components the directory holds are read there, the rest from their registries', () => {
  const spec = releaseSpec(input({
    source: parseReleaseSource('file://openshift/release:4.3.0', 'mirror'),
    to: parseReleaseTarget('file://openshift/release', 'out', '--to', { tag: false }).repository,
    localDigests: new Set([A]),
  }));
  assert.deepEqual(named(spec), [
    'file://openshift/release@aa → oc-disk:out:openshift/release:4.3.0-cli',
    'quay.io/openshift-release-dev/ocp-v4.0-art-dev@bb → oc-disk:out:openshift/release:4.3.0-installer',
    'file://openshift/release@cc → oc-disk:out:openshift/release:4.3.0',
  ]);
  assert.deepEqual(releaseMappings(input({ to: { kind: 'oc-disk', path: 'out', repository: 'openshift/release' } })), [], 'no mirror sets for a disk');
});

test('mirror sets map the component and release repositories; the names and files of the enhancement', () => {
  assert.deepEqual(releaseMappings(input()), [
    { sourceRepository: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev', mirrorRepository: 'registry.internal:5000/ocp/release' },
    { sourceRepository: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev', mirrorRepository: 'registry.internal:5000/ocp/release' },
    { sourceRepository: 'quay.io/openshift-release-dev/ocp-release', mirrorRepository: 'registry.internal:5000/ocp/release' },
  ]);
  assert.equal(installConfigSnippet(releaseMappings(input())), `imageContentSources:
  - mirrors:
      - registry.internal:5000/ocp/release
    source: quay.io/openshift-release-dev/ocp-release
  - mirrors:
      - registry.internal:5000/ocp/release
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
`);
  const cm = signatureConfigMap(R, [Buffer.from('one'), Buffer.from('two')]);
  assert.equal(cm.file, `signature-sha256-${'c'.repeat(16)}.yaml`);
  assert.deepEqual(cm.object.binaryData, { [`sha256-${'c'.repeat(64)}-1`]: 'b25l', [`sha256-${'c'.repeat(64)}-2`]: 'dHdv' });
  assert.equal(mirrorSetName('4.3.0'), 'release-4.3.0');
  assert.equal(mirrorSetName('4.14.0-ec.2+Build_7'), 'release-4.14.0-ec.2-build-7');
});

test('--from, --to and --to-release-image are read as oc reads them, and refused with the rule they break', () => {
  assert.deepEqual(parseReleaseSource(`docker://quay.io/a/b@${R}`, undefined), { transport: 'docker', ref: { registry: 'quay.io', repository: 'a/b', digest: R } });
  assert.deepEqual(parseReleaseSource('file:///openshift/release:4.3.0', undefined), { transport: 'oc-disk', path: '.', repository: 'openshift/release', tag: '4.3.0' });
  const cases: Array<[() => unknown, RegExp]> = [
    [() => parseReleaseSource('quay.io/a/b', undefined), /--from "quay\.io\/a\/b" needs a tag or a digest/],
    [() => parseReleaseSource('Quay.io/A', undefined), /--from "Quay\.io\/A": invalid image reference/],
    [() => parseReleaseTarget('r.io/a/b:1', undefined, '--to', { tag: false }), /--to "r\.io\/a\/b:1" has a tag/],
    [() => parseReleaseTarget(`r.io/a/b@${R}`, undefined, '--to-release-image', { tag: true }), /has a digest/],
  ];
  for (const [fn, message] of cases) assert.throws(fn, (e: unknown) => e instanceof FerryError && e.code === 'USAGE' && message.test(e.message), message.source);
});
