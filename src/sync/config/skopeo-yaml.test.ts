import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { FerryError } from '../../errors.ts';
import { skopeoDockerSource, skopeoLayoutSource, sideOptions } from './skopeo-cli.ts';
import { parseSkopeoYaml } from './skopeo-yaml.ts';

const DEST = { transport: 'docker', destination: 'mirror.example.com/hub' } as const;
const D1 = `sha256:${'1'.repeat(64)}`;

function configError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FerryError, String(e));
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.match(e.message, message);
    return true;
  });
}

test('a full skopeo sync YAML becomes one rule per repository and section', () => {
  const yaml = `
docker.io:
  tls-verify: false
  cert-dir: /etc/certs
  credentials:
    username: robot
    password: hunter2
  images:
    busybox: []
    alpine:
      - "3.19"
      - ${D1}
    nginx: [1.10, latest]
  images-by-tag-regex:
    nginx: ^1\\.2[0-9]\\.
  images-by-semver:
    library/redis: ">= 7.0, < 8"
quay.io:
  images:
    coreos/etcd:
`;
  const spec = parseSkopeoYaml(yaml, 'sync.yaml', DEST, { src: { tlsVerify: true, authfile: '/auth.json' } });
  assert.deepEqual(spec.warnings, []);
  const summary = spec.sources.map((r) => [r.origin.line, r.source.kind === 'repository' ? `${r.source.registry}/${r.source.repository}` : '', r.tags]);
  assert.deepEqual(summary, [
    [9, 'docker.io/library/busybox', { kind: 'filter', include: [], exclude: [] }],
    [10, 'docker.io/library/alpine', { kind: 'explicit', tags: ['3.19'], digests: [D1] }],
    [13, 'docker.io/library/nginx', { kind: 'explicit', tags: ['1.10', 'latest'], digests: [] }],
    [15, 'docker.io/library/nginx', { kind: 'filter', include: [], exclude: [], regex: { source: '^1\\.2[0-9]\\.', flags: '' } }],
    [17, 'docker.io/library/redis', { kind: 'filter', include: [], exclude: [], semver: '>= 7.0, < 8' }],
    [20, 'quay.io/coreos/etcd', { kind: 'filter', include: [], exclude: [] }],
  ]);
  const hub = spec.sources[0]!;
  // YAML settings override the command line's; the authfile stays.
  assert.equal(hub.sourceOptions?.tlsVerify, false);
  assert.equal(hub.sourceOptions?.certDir, '/etc/certs');
  assert.equal(hub.sourceOptions?.authFile, '/auth.json');
  assert.equal(hub.sourceOptions?.credentials?.kind, 'basic');
  assert.equal(spec.sources[5]!.sourceOptions?.tlsVerify, true);
  assert.equal(spec.sources[5]!.sourceOptions?.credentials, undefined);
  assert.deepEqual(hub.platforms, { kind: 'system' });
  assert.equal(hub.destinations[0]!.origin.line, 9);
  assert.deepEqual(hub.destinations[0]!.location, { transport: 'docker', root: 'mirror.example.com' });
  assert.equal(hub.destinations[0]!.path, 'hub');
  // The password is in the spec, but no printout of it shows it.
  assert.equal(JSON.stringify(spec).includes('hunter2'), false);
  assert.equal(inspect(spec, { depth: 20 }).includes('hunter2'), false);
});

test('a registry key may carry a namespace, as skopeo joins KEY/REPO', () => {
  const spec = parseSkopeoYaml('quay.io/coreos:\n  images:\n    etcd: [v1]\n', 's.yaml', DEST);
  assert.deepEqual(spec.sources[0]!.source, { kind: 'repository', registry: 'quay.io', repository: 'coreos/etcd' });
});

test('--all, --scoped and --append-suffix shape the rules', () => {
  const spec = parseSkopeoYaml('quay.io:\n  images:\n    a/b: [v1]\n', 's.yaml', DEST, { all: true, scoped: true, appendSuffix: '-m' });
  const rule = spec.sources[0]!;
  assert.deepEqual(rule.platforms, { kind: 'all' });
  assert.deepEqual(rule.destinations[0]!.naming, { mode: 'skopeo', scoped: true });
  assert.equal(rule.destinations[0]!.suffix, '-m');
});

test('empty files and registries without images are warnings', () => {
  assert.equal(parseSkopeoYaml('', 'e.yaml', DEST).warnings[0]!.message, 'the file lists no registries; nothing to sync');
  const spec = parseSkopeoYaml('quay.io:\n  tls-verify: false\n', 'w.yaml', DEST);
  assert.deepEqual(spec.warnings, [{ origin: { file: 'w.yaml', line: 1 }, message: 'registry quay.io lists no images' }]);
});

test('malformed skopeo YAML is rejected with file:line and the problem', () => {
  const table: [string, RegExp][] = [
    ['docker.io:\n  image:\n    busybox: []\n', /^s\.yaml:2: unknown key "image" in registry docker\.io \(did you mean "images"\?\)/],
    ['docker.io:\n  images:\n    busybox: ["1.0", "bad tag"]\n', /^s\.yaml:3: busybox: invalid tag "bad tag"/],
    ['docker.io:\n  images:\n    busybox: ["sha256:abc"]\n', /^s\.yaml:3: busybox: invalid digest "sha256:abc": expected 64 lowercase hex/],
    ['docker.io:\n  images:\n    BusyBox: []\n', /^s\.yaml:3: repository "BusyBox": .*lowercase/],
    ['docker.io:\n  images:\n    busybox:1.0: []\n', /^s\.yaml:3: repository "busybox:1\.0": .*names an image/],
    ['docker.io:\n  images:\n    busybox: latest\n', /^s\.yaml:3: the tag list of busybox must be a list, not a string/],
    ['docker.io:\n  images-by-tag-regex:\n    busybox: "a(b"\n', /^s\.yaml:3: invalid regex for busybox: /],
    ['docker.io:\n  images-by-tag-regex:\n    busybox:\n', /^s\.yaml:3: regex for busybox must be a string, not nothing/],
    ['docker.io:\n  images-by-semver:\n    busybox: "banana"\n', /^s\.yaml:3: invalid semver range for busybox: "banana" is not a valid semver range/],
    ['docker.io:\n  tls-verify: maybe\n', /^s\.yaml:2: docker\.io tls-verify must be true or false, not a string/],
    ['docker.io:\n  credentials:\n    user: a\n', /^s\.yaml:3: unknown key "user" in docker\.io credentials/],
    ['docker.io:\n  credentials:\n    password: x\n', /^s\.yaml:2: docker\.io credentials: password given without username/],
    ['docker.io:\n  credentials: "robot:hunter2"\n', /^s\.yaml:2: docker\.io credentials must be a mapping \(key: value\), not a string$/],
    ['myregistry:\n  images:\n    a: []\n', /^s\.yaml:1: "myregistry" is not a registry host/],
    ['- docker.io\n', /^s\.yaml:1: the top level \(registry names\) must be a mapping/],
    ['docker.io:\n  images:\n    a: []\n  images:\n    b: []\n', /^s\.yaml:4: duplicate key: Map keys must be unique/],
    ['docker.io:\n  images:\n   a: [\n', /^s\.yaml:\d+: invalid YAML/],
    ['a: 1\n---\nb: 2\n', /^s\.yaml:\d+: only one YAML document is allowed/],
  ];
  for (const [yaml, message] of table) configError(() => parseSkopeoYaml(yaml, 's.yaml', DEST), message);
});

test('secrets never reach error messages', () => {
  for (const yaml of ['docker.io:\n  credentials: "robot:hunter2"\n', 'docker.io:\n  credentials: 99887766\n', 'docker.io:\n  credentials:\n    username: robot\n    password: [hunter2]\n']) {
    assert.throws(() => parseSkopeoYaml(yaml, 's.yaml', DEST), (e: unknown) => e instanceof FerryError && !/hunter2|99887766/.test(e.message) && !/hunter2|99887766/.test(e.hint ?? ''));
  }
  assert.throws(() => sideOptions({ creds: 'hunter2' }, 'src'), (e: unknown) => e instanceof FerryError && !e.message.includes('hunter2'));
});

test('naming problems in explicit images are found while parsing', () => {
  configError(
    () => parseSkopeoYaml('localhost:5000:\n  images:\n    a/b: [v1]\n', 's.yaml', DEST, { scoped: true }),
    /^s\.yaml:3: destination "mirror\.example\.com\/hub\/localhost:5000\/a\/b:v1" .* is not a valid image reference/,
  );
  configError(() => parseSkopeoYaml(`quay.io:\n  images:\n    a/b: ["${D1}"]\n`, 's.yaml', DEST, { appendSuffix: '-x' }), /^s\.yaml:3: cannot append suffix "-x"/);
});

test('--src docker takes a repository, repo:tag or repo@digest', () => {
  const all = skopeoDockerSource('quay.io/coreos/etcd', DEST);
  assert.deepEqual(all.sources[0]!.tags, { kind: 'filter', include: [], exclude: [] });
  assert.deepEqual(all.sources[0]!.source, { kind: 'repository', registry: 'quay.io', repository: 'coreos/etcd' });
  assert.deepEqual(all.sources[0]!.origin, { file: 'command line', line: 0 });
  assert.deepEqual(skopeoDockerSource('busybox:1.36', DEST).sources[0]!.tags, { kind: 'explicit', tags: ['1.36'], digests: [] });
  assert.deepEqual(skopeoDockerSource(`busybox@${D1}`, DEST).sources[0]!.tags, { kind: 'explicit', tags: [], digests: [D1] });
  assert.throws(() => skopeoDockerSource('Bad/Name', DEST), (e: unknown) => e instanceof FerryError && e.code === 'USAGE');
  assert.throws(() => skopeoDockerSource(`busybox:1@${D1}`, DEST), /both a tag and a digest/);
  assert.throws(() => skopeoDockerSource('busybox', { transport: 'docker', destination: '' }), /DESTINATION is empty/);
});

test('--src oci reads a layout; --dest oci and dir are directories', () => {
  const spec = skopeoLayoutSource('/srv/layout', { transport: 'oci', destination: '/srv/out' });
  assert.deepEqual(spec.sources[0]!.source, { kind: 'oci-layout', path: '/srv/layout' });
  assert.deepEqual(spec.sources[0]!.destinations[0]!.location, { transport: 'oci', root: '/srv/out' });
  const dir = skopeoLayoutSource('oci:/srv/layout', { transport: 'dir', destination: '/media/usb' });
  assert.deepEqual(dir.sources[0]!.destinations[0]!.location, { transport: 'dir', root: '/media/usb' });
});

test('skopeo credential flags', () => {
  assert.deepEqual(sideOptions(undefined, 'src'), undefined);
  const basic = sideOptions({ creds: 'robot:pa:ss', tlsVerify: false, certDir: '/c' }, 'dest', '/global.json');
  assert.equal(basic?.credentials?.kind === 'basic' && basic.credentials.password.reveal(), 'pa:ss');
  assert.equal(basic?.authFile, '/global.json');
  assert.deepEqual(sideOptions({ noCreds: true }, 'src'), { credentials: { kind: 'anonymous' } });
  assert.equal(sideOptions({ registryToken: 't' }, 'src')?.credentials?.kind, 'token');
  assert.equal(sideOptions({ username: 'u', password: 'p' }, 'src')?.credentials?.kind, 'basic');
  const bad: [Parameters<typeof sideOptions>[0], RegExp][] = [
    [{ noCreds: true, creds: 'a:b' }, /--src-no-creds cannot be combined/],
    [{ creds: 'a:b', username: 'a' }, /--src-creds cannot be combined/],
    [{ creds: 'a' }, /needs USERNAME:PASSWORD/],
    [{ creds: ':b' }, /empty username/],
    [{ username: 'a' }, /needs --src-password/],
    [{ password: 'b' }, /needs --src-username/],
    [{ registryToken: 't', username: 'u', password: 'p' }, /cannot be combined with a username/],
  ];
  for (const [flags, message] of bad) assert.throws(() => sideOptions(flags, 'src'), message);
});
