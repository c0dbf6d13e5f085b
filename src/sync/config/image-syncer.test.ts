import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { destinationFor, formatTarget } from '../select/destination.ts';
import { parseImageSyncer } from './image-syncer.ts';
import { resolveRegistryOptions } from './registry-options.ts';
import type { SourceRule } from './sync-spec.ts';

const D = `sha256:${'a'.repeat(64)}`;
const env = { QUAY_USER: 'robot', QUAY_PASS: 'hunter2', DEST_NS: 'mirror' };

function names(rule: SourceRule, tag: string): string[] {
  if (rule.source.kind !== 'repository') throw new Error('not a repository');
  return rule.destinations.map((d) => formatTarget(destinationFor(d, { registry: rule.source.kind === 'repository' ? rule.source.registry : '', repository: (rule.source as { repository: string }).repository, tag })));
}

test('image-syncer images (YAML) cover every source form', () => {
  const images = `
quay.io/coreos/kube-rbac-proxy: quay.io/ruohe/kube-rbac-proxy
quay.io/coreos/kube-rbac-proxy:v1.0: quay.io/ruohe/kube-rbac-proxy
quay.io/coreos/kube-rbac-proxy:v1.0,v2.0: quay.io/ruohe/kube-rbac-proxy
quay.io/coreos/kube-rbac-proxy@${D}: quay.io/ruohe/kube-rbac-proxy
quay.io/coreos/kube-rbac-proxy:v1.1:
  - quay.io/ruohe/kube-rbac-proxy1
  - registry.example.com/\${DEST_NS}/proxy:renamed
quay.io/coreos/kube-rbac-proxy:/a+/: quay.io/ruohe/kube-rbac-proxy
nginx: registry.example.com/hub/nginx
`;
  const spec = parseImageSyncer({ text: images, file: 'images.yaml' }, undefined, { env });
  const rules = spec.sources;
  assert.equal(rules.length, 7);
  assert.deepEqual(rules.map((r) => r.origin.line), [2, 3, 4, 5, 6, 9, 10]);
  assert.deepEqual(rules[0]!.tags, { kind: 'filter', include: [], exclude: [] });
  assert.deepEqual(rules[1]!.tags, { kind: 'explicit', tags: ['v1.0'], digests: [] });
  assert.deepEqual(rules[2]!.tags, { kind: 'explicit', tags: ['v1.0', 'v2.0'], digests: [] });
  assert.deepEqual(rules[3]!.tags, { kind: 'explicit', tags: [], digests: [D] });
  assert.deepEqual(rules[5]!.tags, { kind: 'filter', include: [], exclude: [], regex: { source: 'a+', flags: '' } });
  assert.deepEqual(rules[6]!.source, { kind: 'repository', registry: 'docker.io', repository: 'library/nginx' });
  assert.deepEqual(rules[0]!.platforms, { kind: 'all' });
  // A destination without tag keeps the source tag; one with a tag renames; ${VAR} expands.
  assert.deepEqual(names(rules[4]!, 'v1.1'), ['docker://quay.io/ruohe/kube-rbac-proxy1:v1.1', 'docker://registry.example.com/mirror/proxy:renamed']);
  assert.deepEqual(rules[4]!.destinations.map((d) => d.origin.line), [7, 8]);
  assert.deepEqual(names(rules[0]!, 'v9'), ['docker://quay.io/ruohe/kube-rbac-proxy:v9']);
});

test('image-syncer JSON images and auth, with env expansion and namespace scopes', () => {
  const images = JSON.stringify({ 'quay.io/coreos/etcd:v3.5.0': ['registry.example.com/ns/etcd', 'registry.example.com/ns/etcd'] }, null, '\t');
  const auth = `{
  "quay.io": { "username": "\${QUAY_USER}", "password": "$QUAY_PASS", "insecure": true },
  "quay.io/coreos": { "identityToken": "tok" },
  "registry.hub.docker.com": { "username": "u", "password": "p" },
  "registry.example.com": {}
}`;
  const spec = parseImageSyncer({ text: images, file: 'images.json' }, { text: auth, file: 'auth.json' }, { env });
  assert.equal(spec.sources[0]!.destinations.length, 1, 'duplicate destinations collapse');
  assert.deepEqual(spec.registries.map((r) => [r.scope, r.origin.line]), [['quay.io', 2], ['quay.io/coreos', 3], ['docker.io', 4], ['registry.example.com', 5]]);
  const quay = spec.registries[0]!.options;
  assert.equal(quay.tlsVerify, false);
  assert.equal(quay.credentials?.kind === 'basic' && quay.credentials.username, 'robot');
  assert.equal(quay.credentials?.kind === 'basic' && quay.credentials.password.reveal(), 'hunter2');
  assert.equal(resolveRegistryOptions(spec.registries, 'quay.io', 'coreos/etcd').credentials?.kind, 'identity-token');
  assert.equal(resolveRegistryOptions(spec.registries, 'quay.io', 'coreos/etcd').tlsVerify, false);
  assert.equal(JSON.stringify(spec).includes('hunter2'), false);
});

test('the older combined {auth, images} config is accepted', () => {
  const spec = parseImageSyncer(
    { text: 'auth:\n  quay.io:\n    username: a\n    password: b\nimages:\n  quay.io/a/b: quay.io/c/b\n', file: 'config.yaml' },
    undefined,
    { env },
  );
  assert.equal(spec.sources.length, 1);
  assert.equal(spec.sources[0]!.origin.line, 6);
  assert.equal(spec.registries[0]!.scope, 'quay.io');
});

test('malformed image-syncer files are rejected with file:line', () => {
  const table: [string, string | undefined, RegExp][] = [
    ['quay.io/a/b: ""\n', undefined, /^images\.yaml:1: empty destination for "quay\.io\/a\/b"/],
    ['quay.io/a/b: []\n', undefined, /^images\.yaml:1: no destination for "quay\.io\/a\/b"/],
    // Nothing after the key is an empty destination too, as Go's YAML reads it.
    ['quay.io/a/b:\n', undefined, /^images\.yaml:1: empty destination for "quay\.io\/a\/b", and no default registry and namespace/],
    ['quay.io/a/b: {x: 1}\n', undefined, /^images\.yaml:1: destination of "quay\.io\/a\/b" must be a string, not a mapping/],
    ['quay.io/a/b:v1,,v2: quay.io/c/d\n', undefined, /^images\.yaml:1: invalid source "quay\.io\/a\/b:v1,,v2": empty tag in the list/],
    ['quay.io/a/b:/a(/: quay.io/c/d\n', undefined, /^images\.yaml:1: invalid source .*the tag regex does not compile/],
    ['quay.io/A/b: quay.io/c/d\n', undefined, /^images\.yaml:1: invalid source "quay\.io\/A\/b": .*lowercase/],
    ['quay.io/a/b@sha256:12: quay.io/c/d\n', undefined, /^images\.yaml:1: invalid source .*invalid digest/],
    ['quay.io/a/b: quay.io/c/d:v1\n', undefined, /^images\.yaml:1: destination "quay\.io\/c\/d:v1" has a tag, but the source selects several tags/],
    ['quay.io/a/b:v1,v2: quay.io/c/d:v1\n', undefined, /has a tag, but the source selects several/],
    ['quay.io/a/b:v1: quay.io/c/d@' + D + '\n', undefined, /names a digest other than the source's/],
    ['quay.io/a/b: quay.io/${NOPE}/d\n', undefined, /^images\.yaml:1: environment variable NOPE is not set/],
    ['quay.io/a/b: quay.io/c/d\n', 'quay.io:\n  user: x\n', /^auth\.yaml:2: unknown key "user" in auth for quay\.io \(did you mean "username"\?\)/],
    ['quay.io/a/b: quay.io/c/d\n', 'quay.io:\n  password: ${MISSING_PASS}\n', /^auth\.yaml:2: environment variable MISSING_PASS is not set/],
    ['quay.io/a/b: quay.io/c/d\n', 'quay.io:\n  password: p\n', /^auth\.yaml:1: auth for quay\.io: password given without username/],
    ['quay.io/a/b: quay.io/c/d\n', 'myregistry:\n  username: a\n', /^auth\.yaml:1: invalid auth key "myregistry"/],
    ['quay.io/a/b: quay.io/c/d\n', 'quay.io:\n  insecure: sometimes\n', /^auth\.yaml:2: quay\.io insecure must be true or false/],
    ['{"quay.io/a/b": "quay.io/c/d",\n "quay.io/a/b": "x.io/y"}', undefined, /^images\.yaml:2: duplicate key/],
  ];
  for (const [images, auth, message] of table) {
    assert.throws(
      () => parseImageSyncer({ text: images, file: 'images.yaml' }, auth === undefined ? undefined : { text: auth, file: 'auth.yaml' }, { env }),
      (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && message.test(e.message),
      `${images} / ${auth}`,
    );
  }
});

test('an empty destination is the default registry and namespace, then the repository name, with the source tags', () => {
  const spec = parseImageSyncer({ text: 'quay.io/coreos/etcd:v1,v2: ""\nquay.io/a/b:\n', file: 'images.yaml' }, undefined, { env: {}, defaults: { registry: 'reg.example:5000', namespace: 'mirror/team' } });
  assert.deepEqual(
    spec.sources.map((r) => r.destinations.map((d) => `${d.location.root}/${d.path}`)),
    [['reg.example:5000/mirror/team/etcd'], ['reg.example:5000/mirror/team/b']],
  );
});
