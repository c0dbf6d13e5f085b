import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReference } from '../../ref/reference.ts';
import { containersStorageScopes, dockerScopes, pathScopes, validateScope } from './policy-scopes.ts';

test('docker scopes run from the image to the repository, its namespaces, the host, then host wildcards', () => {
  const table: Array<[ref: string, scopes: string[]]> = [
    ['quay.io/org/team/app:1.4', ['quay.io/org/team/app:1.4', 'quay.io/org/team/app', 'quay.io/org/team', 'quay.io/org', 'quay.io', '*.io']],
    // Short names are looked up in their expanded form only.
    ['busybox', ['docker.io/library/busybox:latest', 'docker.io/library/busybox', 'docker.io/library', 'docker.io', '*.io']],
    [`a.b.example.com/x@sha256:${'1'.repeat(64)}`, [`a.b.example.com/x@sha256:${'1'.repeat(64)}`, 'a.b.example.com/x', 'a.b.example.com', '*.b.example.com', '*.example.com', '*.com']],
    // The port belongs to the host scope but not to the wildcards.
    ['registry.local:5000/ns/app:v1', ['registry.local:5000/ns/app:v1', 'registry.local:5000/ns/app', 'registry.local:5000/ns', 'registry.local:5000', '*.local']],
    ['localhost:5000/app:v1', ['localhost:5000/app:v1', 'localhost:5000/app', 'localhost:5000']],
    ['[::1]:5000/app:v1', ['[::1]:5000/app:v1', '[::1]:5000/app', '[::1]:5000']],
    // With both a tag and a digest, the digest is what is read and what identifies the image.
    [`quay.io/app:1@sha256:${'2'.repeat(64)}`, [`quay.io/app@sha256:${'2'.repeat(64)}`, 'quay.io/app', 'quay.io', '*.io']],
  ];
  for (const [ref, scopes] of table) assert.deepEqual(dockerScopes(parseReference(ref)), scopes, ref);
});

test('path scopes are the path, then its parents, never "/"', () => {
  assert.deepEqual(pathScopes('/srv/mirror/store'), ['/srv/mirror/store', '/srv/mirror', '/srv']);
  assert.deepEqual(pathScopes('/x'), ['/x']);
});

test('containers-storage scopes: the image, its name without the ID, namespaces, then the store with and without driver', () => {
  const store = { driver: 'overlay', graphRoot: '/var/lib/containers/storage' };
  assert.deepEqual(containersStorageScopes(store, parseReference('quay.io/ns/app:1'), 'abc'), [
    '[overlay@/var/lib/containers/storage]quay.io/ns/app:1@abc',
    '[overlay@/var/lib/containers/storage]quay.io/ns/app:1',
    '[overlay@/var/lib/containers/storage]quay.io/ns/app',
    '[overlay@/var/lib/containers/storage]quay.io/ns',
    '[overlay@/var/lib/containers/storage]quay.io',
    '[overlay@/var/lib/containers/storage]',
    '[/var/lib/containers/storage]',
  ]);
});

test('scope validation per transport', () => {
  const table: Array<[transport: string, scope: string, problem: RegExp | undefined]> = [
    ['docker', 'quay.io', undefined],
    ['docker', 'quay.io:443/org/app:1.0', undefined],
    ['docker', `quay.io/org/app@sha256:${'a'.repeat(64)}`, undefined],
    ['docker', '*.example.com', undefined],
    ['docker', '*.example*.com', /wildcard/],
    ['docker', 'example.*.com', /fully expanded/],
    ['docker', 'Quay.io/Org', /fully expanded/],
    ['docker', 'quay.io//app', /fully expanded/],
    ['atomic', 'registry.example:5000/ns/stream:tag', undefined],
    ['dir', '/srv/images', undefined],
    ['dir', 'srv/images', /absolute/],
    ['dir', '/', /default ""/],
    ['dir', '/srv/../etc', /canonical/],
    ['oci', '/srv/layout:app', undefined],
    ['oci-archive', '/srv/a.tar', undefined],
    ['docker-archive', '/srv/a.tar', /only the transport default/],
    ['docker-daemon', 'docker.io/library/busybox:latest', undefined],
    ['docker-daemon', `sha256:${'b'.repeat(64)}`, /image ID/],
    ['containers-storage', '[overlay@/var/lib/containers/storage]docker.io/library/busybox', undefined],
    ['containers-storage', 'docker.io/library/busybox', /store specification/],
    ['some-future-transport', 'anything goes', undefined],
  ];
  for (const [transport, scope, problem] of table) {
    const got = validateScope(transport, scope);
    if (problem === undefined) assert.equal(got, undefined, `${transport} ${scope}`);
    else assert.match(got ?? '', problem, `${transport} ${scope}`);
  }
});
