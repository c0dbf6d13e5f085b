import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import type { Destination, FlattenLevel, Naming, SourceRule } from '../config/sync-spec.ts';
import { destinationFor, destinationsFor, formatTarget } from './destination.ts';
import { flattenRepository } from './flatten.ts';
import type { SourceImage } from './source-image.ts';

const DIGEST = `sha256:${'0'.repeat(64)}` as const;
const origin = { file: 'sync.yaml', line: 7 };

function dest(registry: string, path: string, naming: Naming, suffix?: string): Destination {
  return { location: { transport: 'docker', root: registry }, path, naming, suffix, origin };
}

function name(d: Destination, image: SourceImage): string {
  return formatTarget(destinationFor(d, image));
}

// Expected values are what `skopeo sync --dry-run` 1.9.3 printed for the same sources.
test('skopeo naming: DEST/<last element>:<tag>, or the full source with --scoped', () => {
  const table: [SourceImage, string, string][] = [
    [{ registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }, 'busybox:1.36', 'docker.io/library/busybox:1.36'],
    [{ registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }, 'redis:7', 'docker.io/bitnami/redis:7'],
    [{ registry: 'quay.io', repository: 'coreos/etcd', tag: 'v3.5.0' }, 'etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0'],
    [{ registry: 'docker.io', repository: 'library/busybox', digest: DIGEST }, `busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
  ];
  for (const [image, plain, scoped] of table) {
    assert.equal(name(dest('myreg.example.com', 'mirror', { mode: 'skopeo', scoped: false }), image), `docker://myreg.example.com/mirror/${plain}`);
    assert.equal(name(dest('myreg.example.com', 'mirror', { mode: 'skopeo', scoped: true }), image), `docker://myreg.example.com/mirror/${scoped}`);
  }
  // A Docker Hub destination gets library/ for a single element, as skopeo's reference parser adds it.
  assert.equal(name(dest('docker.io', '', { mode: 'skopeo', scoped: false }), { registry: 'quay.io', repository: 'a/etcd', tag: '1' }), 'docker://docker.io/library/etcd:1');
  assert.equal(name(dest('localhost:5000', '', { mode: 'skopeo', scoped: false }), { registry: 'localhost:5000', repository: 'a/b/c', tag: 'v1' }), 'docker://localhost:5000/c:v1');
});

test('skopeo --scoped with a source registry port fails like skopeo, naming the rule', () => {
  assert.throws(
    () => destinationFor(dest('myreg.example.com', 'mirror', { mode: 'skopeo', scoped: true }), { registry: 'localhost:5000', repository: 'a/b/c', tag: 'v1' }),
    (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && e.message.startsWith('sync.yaml:7: ') && /--scoped/.test(e.hint ?? ''),
  );
});

test('--append-suffix goes on the tag; a digest-only image cannot take one', () => {
  const d = dest('myreg.example.com', 'mirror', { mode: 'skopeo', scoped: false }, '-mirror');
  assert.equal(name(d, { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }), 'docker://myreg.example.com/mirror/busybox:1.36-mirror');
  assert.throws(() => destinationFor(d, { registry: 'docker.io', repository: 'library/busybox', digest: DIGEST }), /sync\.yaml:7: cannot append suffix/);
});

test('Harbor flattening levels -1..3', () => {
  const table: [FlattenLevel, string][] = [
    [-1, 'ns/image'],
    [0, 'ns/a/b/c/image'],
    [1, 'ns/b/c/image'],
    [2, 'ns/c/image'],
    [3, 'ns/image'],
  ];
  for (const [level, expected] of table) assert.equal(flattenRepository('a/b/c/image', 'ns', level), expected, `level ${level}`);
  assert.throws(() => flattenRepository('a/image', 'ns', 2), /fewer than flattening level 2/);
  assert.equal(flattenRepository('a/b/image', '', 3), 'a/b/image');
  assert.equal(flattenRepository('image', 'ns', 0), 'ns/image');
  assert.equal(flattenRepository('image', 'ns', -1), 'ns/image');
});

test('flatten naming keeps tags and digests; too-deep levels name the rule', () => {
  const d = dest('mirror.local:5000', 'hub', { mode: 'flatten', level: 1 }, '-x');
  assert.equal(name(d, { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }), 'docker://mirror.local:5000/hub/nginx:1.25-x');
  assert.throws(() => destinationFor(d, { registry: 'x.io', repository: 'nginx', tag: '1' }), /sync\.yaml:7: cannot flatten x\.io\/nginx:1/);
  const noSuffix = dest('mirror.local:5000', 'hub', { mode: 'flatten', level: 0 });
  assert.equal(name(noSuffix, { registry: 'docker.io', repository: 'library/nginx', digest: DIGEST }), `docker://mirror.local:5000/hub/library/nginx@${DIGEST}`);
});

test('explicit naming: the repository is given; the tag too, or it is kept', () => {
  const keep = dest('quay.io', 'ruohe/proxy', { mode: 'explicit' });
  const retag = dest('quay.io', 'ruohe/proxy', { mode: 'explicit', tag: 'stable' });
  assert.equal(name(keep, { registry: 'quay.io', repository: 'coreos/proxy', tag: 'v1' }), 'docker://quay.io/ruohe/proxy:v1');
  assert.equal(name(keep, { registry: 'quay.io', repository: 'coreos/proxy', digest: DIGEST }), `docker://quay.io/ruohe/proxy@${DIGEST}`);
  assert.equal(name(retag, { registry: 'quay.io', repository: 'coreos/proxy', digest: DIGEST }), 'docker://quay.io/ruohe/proxy:stable');
});

test('OCI layout and dir destinations', () => {
  const oci: Destination = { location: { transport: 'oci', root: '/srv/layout' }, path: '', naming: { mode: 'skopeo', scoped: true }, origin };
  const target = destinationFor(oci, { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' });
  assert.deepEqual(target, { transport: 'oci', path: '/srv/layout', name: 'docker.io/library/busybox:1.36' });
  const flat: Destination = { ...oci, path: 'mirror', naming: { mode: 'flatten', level: -1 } };
  assert.equal(formatTarget(destinationFor(flat, { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' })), 'oci:/srv/layout:mirror/busybox:1.36');
  const dir: Destination = { location: { transport: 'dir', root: '/media/usb' }, path: '', naming: { mode: 'skopeo', scoped: false }, origin };
  assert.equal(formatTarget(destinationFor(dir, { registry: 'quay.io', repository: 'a/b', tag: '1' })), 'dir:/media/usb/b:1');
  // skopeo names layout sources by their ref.name.
  assert.equal(formatTarget(destinationFor(dir, { repository: 'ns/app', tag: '1.0', refName: 'ns/app:1.0' })), 'dir:/media/usb/app:1.0');
  assert.throws(() => destinationFor({ ...flat, suffix: '+bad' }, { registry: 'docker.io', repository: 'x/y', tag: '1' }), /not a valid tag/);
});

test('destinationsFor names an image at every destination of its rule', () => {
  const rule: SourceRule = {
    source: { kind: 'repository', registry: 'quay.io', repository: 'a/b' },
    tags: { kind: 'filter', include: [], exclude: [] },
    platforms: { kind: 'all' },
    destinations: [dest('r1.io', 'x', { mode: 'explicit' }), dest('r2.io', '', { mode: 'flatten', level: 0 })],
    origin,
  };
  assert.deepEqual(destinationsFor(rule, { registry: 'quay.io', repository: 'a/b', tag: '1' }).map(formatTarget), ['docker://r1.io/x:1', 'docker://r2.io/a/b:1']);
});

test('an image with neither tag nor digest is a programming error', () => {
  assert.throws(() => destinationFor(dest('r.io', '', { mode: 'flatten', level: 0 }), { registry: 'r.io', repository: 'a' }), /neither a tag nor a digest/);
});
