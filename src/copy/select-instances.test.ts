import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import type { Descriptor, ImageIndex } from '../oci/descriptor.ts';
import { currentPlatform } from '../oci/platform.ts';
import { selectInstances } from './select-instances.ts';

const entry = (n: number, os: string, architecture: string, variant?: string): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100 + n,
  platform: variant === undefined ? { os, architecture } : { os, architecture, variant },
});
const amd64 = entry(1, 'linux', 'amd64');
const arm64 = entry(2, 'linux', 'arm64', 'v8');
const armv7 = entry(3, 'linux', 'arm', 'v7');
const attestation = entry(4, 'unknown', 'unknown');
const index: ImageIndex = { schemaVersion: 2, manifests: [amd64, arm64, armv7, attestation] };

test('--all keeps the index whole, attestations included', () => {
  assert.deepEqual(selectInstances(index, { mode: 'all' }, 'x'), { kind: 'whole', instances: index.manifests });
});

test('one platform is copied alone; arm64 matches arm64/v8', () => {
  assert.deepEqual(selectInstances(index, { mode: 'platforms', platforms: [{ os: 'linux', architecture: 'arm64' }] }, 'x'), { kind: 'single', instance: arm64 });
  assert.deepEqual(selectInstances(index, { mode: 'platforms', platforms: [{ os: 'linux', architecture: 'arm', variant: 'v7' }] }, 'x'), { kind: 'single', instance: armv7 });
});

test('several platforms make a subset, in the order asked, without duplicates', () => {
  const picked = selectInstances(index, { mode: 'platforms', platforms: [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] }, 'x');
  assert.deepEqual(picked, { kind: 'subset', instances: [arm64, amd64] });
});

test('the system platform picks the instance for this machine, on any machine', () => {
  // The index always holds this machine's platform (currentPlatform's mapping has its own table test), among others.
  const me = currentPlatform();
  const mine = entry(9, me.os, me.architecture, me.variant);
  const others = index.manifests.filter((d) => d.platform?.architecture !== me.architecture);
  const here: ImageIndex = { schemaVersion: 2, manifests: [...others.slice(0, 1), mine, ...others.slice(1)] };
  assert.deepEqual(selectInstances(here, { mode: 'system' }, 'x'), { kind: 'single', instance: mine });
});

test('a platform the index lacks is NOT_FOUND, listing what is there (attestations left out)', () => {
  assert.throws(
    () => selectInstances(index, { mode: 'platforms', platforms: [{ os: 'linux', architecture: 's390x' }] }, 'docker://r/app:1'),
    (err: unknown) => err instanceof FerryError && err.code === 'NOT_FOUND' && /s390x/.test(err.message) && err.hint === 'available: linux/amd64, linux/arm64/v8, linux/arm/v7; choose with --platform, or copy every instance with --all',
  );
});

test('--filter-by-os: a regex over os/arch[/variant]; one match alone, or a one-entry index with --keep-manifest-list', () => {
  const matching = (source: string, keepList = false) => selectInstances(index, { mode: 'matching', pattern: new RegExp(source), keepList }, 'x');
  assert.deepEqual(matching('linux/amd64'), { kind: 'single', instance: amd64 });
  assert.deepEqual(matching('linux/amd64', true), { kind: 'subset', instances: [amd64] });
  // Unanchored, as Go's MatchString: "arm" matches arm64/v8 and arm/v7, in index order.
  assert.deepEqual(matching('arm'), { kind: 'subset', instances: [arm64, armv7] });
  assert.deepEqual(matching('/v7$'), { kind: 'single', instance: armv7 });
  assert.throws(() => matching('windows/'), (err: unknown) => err instanceof FerryError && err.code === 'NOT_FOUND' && /linux\/arm\/v7/.test(err.hint ?? ''));
  // Each entry is judged by its platform string, as oc does: ".*" keeps attestations, and so the index whole.
  assert.deepEqual(matching('.*'), { kind: 'whole', instances: index.manifests });
  assert.deepEqual(matching('^linux/'), { kind: 'subset', instances: [amd64, arm64, armv7] });
  const plain: ImageIndex = { schemaVersion: 2, manifests: [amd64, arm64] };
  assert.deepEqual(selectInstances(plain, { mode: 'matching', pattern: /.*/g, keepList: false }, 'x'), { kind: 'whole', instances: plain.manifests });
});

test("image-syncer's --os/--arch filter keeps what passes, as an index; all of them keep it whole; none is an error", () => {
  assert.deepEqual(selectInstances(index, { mode: 'os-arch', os: [], architectures: ['arm64', 'arm'] }, 'x'), { kind: 'subset', instances: [arm64, armv7] });
  assert.deepEqual(selectInstances(index, { mode: 'os-arch', os: [], architectures: ['arm64'] }, 'x'), { kind: 'subset', instances: [arm64] });
  assert.deepEqual(selectInstances(index, { mode: 'os-arch', os: ['linux'], architectures: [] }, 'x'), { kind: 'whole', instances: index.manifests });
  assert.throws(
    () => selectInstances(index, { mode: 'os-arch', os: ['windows'], architectures: ['amd64'] }, 'x'),
    (e: unknown) => e instanceof FerryError && e.code === 'NOT_FOUND' && /no instance for os windows, arch amd64/.test(e.message) && /linux\/arm64\/v8/.test(e.hint ?? ''),
  );
});
