import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../errors.ts';
import { TRANSPORTS, formatTransportRef, parseTransportRef, type TransportRef } from './transport-ref.ts';

const SHA = `sha256:${'c'.repeat(64)}` as const;

describe('parseTransportRef: valid forms', () => {
  const cases: [input: string, expected: TransportRef, formatted: string][] = [
    ['docker://nginx', { transport: 'docker', ref: { registry: 'docker.io', repository: 'library/nginx' } }, 'docker://nginx'],
    [
      'docker://docker.io/library/nginx:1.25',
      { transport: 'docker', ref: { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' } },
      'docker://nginx:1.25',
    ],
    [
      `docker://localhost:5000/ns/app:1@${SHA}`,
      { transport: 'docker', ref: { registry: 'localhost:5000', repository: 'ns/app', tag: '1', digest: SHA } },
      `docker://localhost:5000/ns/app:1@${SHA}`,
    ],
    ['docker://[::1]:5000/app', { transport: 'docker', ref: { registry: '[::1]:5000', repository: 'app' } }, 'docker://[::1]:5000/app'],
    ['oci:/tmp/x', { transport: 'oci', path: '/tmp/x' }, 'oci:/tmp/x'],
    ['oci:relative/dir', { transport: 'oci', path: 'relative/dir' }, 'oci:relative/dir'],
    ['oci:/tmp/x:latest', { transport: 'oci', path: '/tmp/x', name: 'latest' }, 'oci:/tmp/x:latest'],
    ['oci:/tmp/x:ns/app:1.0', { transport: 'oci', path: '/tmp/x', name: 'ns/app:1.0' }, 'oci:/tmp/x:ns/app:1.0'],
    [`oci:/tmp/x:app@${SHA}`, { transport: 'oci', path: '/tmp/x', name: `app@${SHA}` }, `oci:/tmp/x:app@${SHA}`],
    ['oci:/tmp/x:A--b+c', { transport: 'oci', path: '/tmp/x', name: 'A--b+c' }, 'oci:/tmp/x:A--b+c'],
    ['oci-archive:/tmp/x.tar', { transport: 'oci-archive', path: '/tmp/x.tar' }, 'oci-archive:/tmp/x.tar'],
    ['oci-archive:/tmp/x.tar:ns/app:1.0', { transport: 'oci-archive', path: '/tmp/x.tar', name: 'ns/app:1.0' }, 'oci-archive:/tmp/x.tar:ns/app:1.0'],
    ['dir:/tmp/img', { transport: 'dir', path: '/tmp/img' }, 'dir:/tmp/img'],
    // dir: takes everything after the prefix, colons included (as skopeo).
    ['dir:/tmp/a:b', { transport: 'dir', path: '/tmp/a:b' }, 'dir:/tmp/a:b'],
    ['docker-archive:/a.tar', { transport: 'docker-archive', path: '/a.tar' }, 'docker-archive:/a.tar'],
    [
      'docker-archive:/a.tar:app:latest',
      { transport: 'docker-archive', path: '/a.tar', ref: { registry: 'docker.io', repository: 'library/app', tag: 'latest' } },
      'docker-archive:/a.tar:app:latest',
    ],
    // Like skopeo, a name without a tag means :latest.
    [
      'docker-archive:/a.tar:quay.io/ns/app',
      { transport: 'docker-archive', path: '/a.tar', ref: { registry: 'quay.io', repository: 'ns/app', tag: 'latest' } },
      'docker-archive:/a.tar:quay.io/ns/app:latest',
    ],
    ['docker-archive:/a.tar:@1', { transport: 'docker-archive', path: '/a.tar', index: 1 }, 'docker-archive:/a.tar:@1'],
    ['docker-archive:/a.tar:@0', { transport: 'docker-archive', path: '/a.tar', index: 0 }, 'docker-archive:/a.tar:@0'],
    ['docker-daemon:app:1.0', { transport: 'docker-daemon', ref: { registry: 'docker.io', repository: 'library/app', tag: '1.0' } }, 'docker-daemon:app:1.0'],
    // docker's commands read a bare name as :latest; skopeo would refuse it.
    ['docker-daemon:quay.io/ns/app', { transport: 'docker-daemon', ref: { registry: 'quay.io', repository: 'ns/app', tag: 'latest' } }, 'docker-daemon:quay.io/ns/app:latest'],
    [`docker-daemon:localhost:5000/app@${SHA}`, { transport: 'docker-daemon', ref: { registry: 'localhost:5000', repository: 'app', digest: SHA } }, `docker-daemon:localhost:5000/app@${SHA}`],
    [`docker-daemon:${SHA}`, { transport: 'docker-daemon', id: SHA }, `docker-daemon:${SHA}`],
    ['containers-storage:app', { transport: 'containers-storage', ref: { registry: 'docker.io', repository: 'library/app', tag: 'latest' } }, 'containers-storage:app:latest'],
    ['containers-storage:localhost/app:2', { transport: 'containers-storage', ref: { registry: 'localhost', repository: 'app', tag: '2' } }, 'containers-storage:localhost/app:2'],
    [`containers-storage:${'c'.repeat(64)}`, { transport: 'containers-storage', id: 'c'.repeat(64) }, `containers-storage:${'c'.repeat(64)}`],
    [
      `containers-storage:[vfs@/var/s+/run/s:vfs.ignore_chown_errors=true]quay.io/ns/app:1@${SHA}@${'d'.repeat(64)}`,
      {
        transport: 'containers-storage',
        store: { driver: 'vfs', root: '/var/s', runRoot: '/run/s', options: ['vfs.ignore_chown_errors=true'] },
        ref: { registry: 'quay.io', repository: 'ns/app', tag: '1', digest: SHA },
        id: 'd'.repeat(64),
      },
      `containers-storage:[vfs@/var/s+/run/s:vfs.ignore_chown_errors=true]quay.io/ns/app:1@${SHA}@${'d'.repeat(64)}`,
    ],
    [`containers-storage:[/var/s]@${'d'.repeat(64)}`, { transport: 'containers-storage', store: { root: '/var/s' }, id: 'd'.repeat(64) }, `containers-storage:[/var/s]@${'d'.repeat(64)}`],
    // oc's disk format: the path as written (no library/), a registry host dropped as oc drops it.
    ['oc-disk:mirror:openshift/release:4.3.0', { transport: 'oc-disk', path: 'mirror', repository: 'openshift/release', tag: '4.3.0' }, 'oc-disk:mirror:openshift/release:4.3.0'],
    ['oc-disk:/srv/m:release', { transport: 'oc-disk', path: '/srv/m', repository: 'release' }, 'oc-disk:/srv/m:release'],
    [`oc-disk:/srv/m:quay.io/ocp/release@${SHA}`, { transport: 'oc-disk', path: '/srv/m', repository: 'ocp/release', digest: SHA }, `oc-disk:/srv/m:ocp/release@${SHA}`],
  ];
  for (const [input, expected, formatted] of cases) {
    it(input.length > 70 ? `${input.slice(0, 70)}…` : input, () => {
      const parsed = parseTransportRef(input);
      assert.deepEqual(parsed, expected);
      assert.equal(formatTransportRef(parsed), formatted);
      assert.deepEqual(parseTransportRef(formatted), parsed);
    });
  }
});

describe('parseTransportRef: errors', () => {
  const cases: [input: string, rule: RegExp, hint: RegExp][] = [
    ['nginx', /missing transport prefix/, /did you mean docker:\/\/nginx\?.*supported transports: docker:\/\/REF, oci:PATH/],
    ['/tmp/x', /missing transport prefix/, /^supported transports:.*e\.g\. docker:\/\//],
    ['', /missing transport prefix/, /supported transports/],
    ['foo:bar', /unknown transport "foo"/, /supported transports:.*oci-archive:.*dir:.*docker-archive:/],
    ['localhost:5000/app', /unknown transport "localhost"/, /did you mean docker:\/\/localhost:5000\/app\?/],
    ['DOCKER://nginx', /unknown transport "DOCKER"/, /supported transports/],
    ['ostree:/repo', /transport "ostree" is not supported by ferry/, /supported transports:.*docker-daemon:.*containers-storage:/],
    ['docker-daemon:', /image reference is empty/, /docker-daemon:app:1\.0/],
    ['docker-daemon:sha256:abc', /all 64 hex digits/, /image ID/],
    [`docker-daemon:app:1@${SHA}`, /both a tag and a digest/, /docker-daemon:/],
    ['docker-daemon:App', /must be lowercase/, /docker-daemon:/],
    ['containers-storage:', /image reference is empty/, /containers-storage:app:1\.0/],
    ['containers-storage:[vfs@/x', /not closed/, /containers-storage:/],
    ['containers-storage:[vfs@rel]app', /"rel" must be an absolute path/, /containers-storage:/],
    ['containers-storage:[/x+run]app', /"run" must be an absolute path/, /containers-storage:/],
    ['containers-storage:[]app', /empty/, /containers-storage:/],
    ['containers-storage:[@/x]app', /DRIVER@ROOT/, /containers-storage:/],
    ['containers-storage:app@abc', /neither a digest nor a full 64-hex image ID/, /containers-storage:/],
    ['containers-storage:[/x]', /image reference is empty/, /containers-storage:/],
    ['docker:nginx', /needs "\/\/" after "docker:"/, /^write docker:\/\/nginx$/],
    ['docker:/nginx', /needs "\/\/"/, /^write docker:\/\/nginx$/],
    ['oci:', /PATH is empty/, /^e\.g\. oci:\//],
    ['oci::app', /PATH is empty/, /^e\.g\. oci:\//],
    ['oci-archive:', /PATH is empty/, /^e\.g\. oci-archive:\//],
    ['dir:', /PATH is empty/, /^e\.g\. dir:\//],
    ['docker-archive:', /PATH is empty/, /^e\.g\. docker-archive:\//],
    ['oci:/tmp/x:', /nothing after the ":"/, /trailing ":" or add a name, e\.g\. oci:\/tmp\/x:app:1\.0/],
    ['docker-archive:/a.tar:', /nothing after the ":"/, /trailing ":"/],
    ['oci:/tmp/x:-bad', /image name "-bad" must match the OCI ref.name grammar/, /oci:\/tmp\/x:ns\/app:1\.0/],
    ['oci:/tmp/x:a//b', /OCI ref.name/, /./],
    ['oci:/tmp/x:a b', /OCI ref.name/, /./],
    ['oci-archive:/x.tar:app:', /OCI ref.name/, /./],
    ['docker-archive:/a.tar:@', /image index "" must be a non-negative integer/, /:@0/],
    ['docker-archive:/a.tar:@-1', /image index "-1"/, /:@0/],
    ['docker-archive:/a.tar:@x', /image index "x"/, /:@0/],
    [`docker-archive:/a.tar:app@${SHA}`, /cannot carry a digest/, /use a tag/],
    ['oc-disk:/srv/m', /REPOSITORY is missing/, /oc-disk:\/srv\/mirror:openshift\/release:4\.3\.0/],
    ['oc-disk::ocp/release', /PATH is empty/, /oc-disk:/],
  ];
  for (const [input, rule, hint] of cases) {
    it(JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input), () => {
      assert.throws(
        () => parseTransportRef(input),
        (error: unknown) => {
          assert.ok(isFerryError(error, 'INVALID_REFERENCE'), `expected INVALID_REFERENCE, got ${String(error)}`);
          assert.ok(error.message.includes(`"${input}"`), `message quotes the input: ${error.message}`);
          assert.match(error.message, rule);
          assert.match(error.hint ?? '', hint);
          return true;
        },
      );
    });
  }

  it('reports a broken image reference inside docker:// with its rule', () => {
    assert.throws(() => parseTransportRef('docker://Nginx'), (error: unknown) => {
      assert.ok(isFerryError(error, 'INVALID_REFERENCE'));
      assert.match(error.message, /"Nginx": repository name must be lowercase/);
      return true;
    });
    assert.throws(() => parseTransportRef('docker://'), /reference is empty/);
    assert.throws(() => parseTransportRef('docker://nginx:'), /tag must match/);
    assert.throws(() => parseTransportRef('docker-archive:/a.tar:App'), /must be lowercase/);
  });
});

describe('formatTransportRef', () => {
  it('refuses paths that could not be parsed back', () => {
    for (const t of [
      { transport: 'oci', path: '/tmp/a:b' },
      { transport: 'oci-archive', path: '' },
      { transport: 'docker-archive', path: 'c:/x.tar' },
    ] satisfies TransportRef[]) {
      assert.throws(() => formatTransportRef(t), (error: unknown) => isFerryError(error, 'INVALID_REFERENCE'));
    }
  });
  it('refuses a docker-archive reference with both a name and an index', () => {
    const t: TransportRef = { transport: 'docker-archive', path: '/a.tar', ref: { registry: 'docker.io', repository: 'library/app', tag: 'x' }, index: 0 };
    assert.throws(() => formatTransportRef(t), /both a name and an index/);
  });
});

it('TRANSPORTS lists every supported transport', () => {
  assert.deepEqual([...TRANSPORTS].sort(), ['containers-storage', 'dir', 'docker', 'docker-archive', 'docker-daemon', 'oc-disk', 'oci', 'oci-archive']);
  const example = (name: string): string => (name === 'docker' ? 'docker://x' : name === 'docker-daemon' || name === 'containers-storage' || name === 'oc-disk' ? `${name}:x:1` : `${name}:/p`);
  for (const name of TRANSPORTS) assert.doesNotThrow(() => parseTransportRef(example(name)));
});
