import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { FerryError } from '../../errors.ts';
import { destinationFor, formatTarget } from '../select/destination.ts';
import { parseFerryYaml } from './ferry-yaml.ts';
import { resolveRegistryOptions } from './registry-options.ts';
import type { SourceRule } from './sync-spec.ts';

const env = { HUB_USER: 'robot', HUB_TOKEN: 'hunter2', QUAY_TOKEN: 'qtok' };

function parse(text: string) {
  return parseFerryYaml(text, 'ferry.yaml', { env });
}

function target(rule: SourceRule, tag: string, index = 0, repository?: string): string {
  const s = rule.source as { registry: string; repository: string };
  return formatTarget(destinationFor(rule.destinations[index]!, { registry: s.registry, repository: repository ?? s.repository, tag }));
}

test('the example in FORMAT.md parses as documented', () => {
  const doc = readFileSync(new URL('./FORMAT.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  const spec = parse(yaml);
  assert.deepEqual(spec.defaults, { jobs: 16 });
  assert.deepEqual(spec.warnings, []);
  assert.deepEqual(spec.registries.map((r) => r.scope), ['docker.io', 'mirror.internal:5000', 'quay.io/myorg']);
  assert.equal(spec.registries[1]!.options.bandwidth, 50 * 1024 * 1024);
  assert.equal(spec.registries[1]!.options.tlsVerify, false);
  assert.equal(spec.registries[0]!.options.requestsPerSecond, 5);
  const hub = resolveRegistryOptions(spec.registries, 'docker.io', 'library/nginx');
  assert.equal(hub.credentials?.kind === 'basic' && hub.credentials.password.reveal(), 'hunter2');
  assert.equal(JSON.stringify(spec).includes('hunter2'), false);
  assert.equal(inspect(spec, { depth: 30 }).includes('hunter2'), false);

  const [nginx, apps, base] = spec.sources;
  assert.equal(spec.sources.length, 2);
  assert.deepEqual(nginx!.source, { kind: 'repository', registry: 'docker.io', repository: 'library/nginx' });
  assert.deepEqual(nginx!.tags, { kind: 'filter', include: [], exclude: ['*-perl'], semver: '>=1.25', newest: { count: 3, by: 'semver' } });
  assert.deepEqual(nginx!.platforms, { kind: 'list', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
  assert.equal(target(nginx!, '1.25.3'), 'docker://mirror.internal:5000/hub/nginx:1.25.3-mirror');
  assert.deepEqual(apps!.source, { kind: 'catalog', registry: 'registry.team.example', repositories: { include: ['apps/**', 'base/*'], exclude: ['apps/**/legacy-*'] } });
  assert.equal(target(apps!, 'v1', 0, 'apps/x'), 'oci:/srv/export:apps/x:v1-mirror');
  assert.equal(base, undefined);
});

test('from forms', () => {
  const rules = parse(`
defaults:
  to: r.io
sync:
  - from: quay.io/coreos/etcd
  - from: registry.local:5000
  - from: registry.local:5000/team/**
  - from: {registry: quay.io, repository: a/b}
  - from: {registry: quay.io, repositories: [a/b, c/*, d/e], exclude: [d/*]}
  - from: oci:/srv/layout
  - from: oci:/srv/layout:busybox
  - from: {oci: ./layout, repository: ns/app}
  - from: docker-daemon:app
  - from: containers-storage:[vfs@/var/s+/run/s]localhost/ns/app
`).sources;
  assert.deepEqual(
    rules.map((r) => r.source),
    [
      { kind: 'repository', registry: 'quay.io', repository: 'coreos/etcd' },
      { kind: 'catalog', registry: 'registry.local:5000', repositories: { include: [], exclude: [] } },
      { kind: 'catalog', registry: 'registry.local:5000', repositories: { include: ['team/**'], exclude: [] } },
      { kind: 'repository', registry: 'quay.io', repository: 'a/b' },
      { kind: 'repository', registry: 'quay.io', repository: 'a/b' },
      { kind: 'catalog', registry: 'quay.io', repositories: { include: ['c/*'], exclude: ['d/*'] } },
      { kind: 'oci-layout', path: '/srv/layout', repository: undefined },
      { kind: 'oci-layout', path: '/srv/layout', repository: 'busybox' },
      { kind: 'oci-layout', path: './layout', repository: 'ns/app' },
      { kind: 'engine', transport: 'docker-daemon', registry: 'docker.io', repository: 'library/app' },
      { kind: 'engine', transport: 'containers-storage', registry: 'localhost', repository: 'ns/app', store: { driver: 'vfs', root: '/var/s', runRoot: '/run/s' } },
    ],
  );
  assert.deepEqual(rules.map((r) => r.origin.line), [5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14]);
});

test('a literal repository that is also excluded is skipped with a warning', () => {
  const spec = parse('sync:\n  - from: {registry: quay.io, repositories: [a/b, d/e], exclude: [d/*]}\n    to: r.io\n');
  assert.equal(spec.sources.length, 1);
  assert.match(spec.warnings[0]!.message, /d\/e is listed and excluded/);
});

test('tags forms', () => {
  const rules = parse(`
defaults: {to: r.io}
sync:
  - {from: quay.io/a/b, tags: all}
  - {from: quay.io/a/b, tags: [1.10, "sha256:${'c'.repeat(64)}"]}
  - from: quay.io/a/b
    tags: {include: "v*", regex: "(?i)^V1", newest: 2, by: created}
`).sources;
  assert.deepEqual(rules[0]!.tags, { kind: 'filter', include: [], exclude: [] });
  assert.deepEqual(rules[1]!.tags, { kind: 'explicit', tags: ['1.10'], digests: [`sha256:${'c'.repeat(64)}`] });
  assert.deepEqual(rules[2]!.tags, { kind: 'filter', include: ['v*'], exclude: [], regex: { source: '^V1', flags: 'i' }, newest: { count: 2, by: 'created' } });
});

test('to forms and Harbor flattening', () => {
  const rules = parse(`
sync:
  - from: docker.io/library/nginx
    to:
      - mirror.io
      - mirror.io/hub
      - {registry: mirror.io, namespace: hub, flatten: -1}
      - {registry: mirror.io/base, namespace: hub, flatten: 1}
      - {registry: mirror.io, repository: web/nginx}
      - {oci: /srv/l, namespace: x, flatten: -1}
    suffix: .m
  - from: quay.io/a/b
    tags: [v1]
    to: {registry: mirror.io, repository: c/d, tag: stable}
`).sources;
  const nginx = rules[0]!;
  assert.deepEqual(nginx.destinations.map((_, i) => target(nginx, '1.25', i)), [
    'docker://mirror.io/library/nginx:1.25.m',
    'docker://mirror.io/hub/library/nginx:1.25.m',
    'docker://mirror.io/hub/nginx:1.25.m',
    'docker://mirror.io/base/hub/nginx:1.25.m',
    'docker://mirror.io/web/nginx:1.25.m',
    'oci:/srv/l:x/nginx:1.25.m',
  ]);
  assert.equal(target(rules[1]!, 'v1'), 'docker://mirror.io/c/d:stable');
});

test('malformed ferry YAML is rejected with file:line and the problem', () => {
  const table: [string, RegExp][] = [
    ['', /^ferry\.yaml:1: the file is empty/],
    ['sinc: []\n', /^ferry\.yaml:1: unknown key "sinc" in the top level \(did you mean "sync"\?\)/],
    ['version: 2\n', /^ferry\.yaml:1: version must be an integer from 1 to 1/],
    ['sync:\n  - from: quay.io/a/b\n', /^ferry\.yaml:2: the rule has no to:/],
    ['sync:\n  - to: r.io\n', /^ferry\.yaml:2: the rule has no from:/],
    ['sync:\n  - from: quay.io/a/b\n    to: r.io\n    tag: [1]\n', /^ferry\.yaml:4: unknown key "tag" in a sync rule \(did you mean "tags"\?\)/],
    ['sync:\n  - from: quay.io/a/b\n    to: {registry: r.io, flaten: 1}\n', /^ferry\.yaml:3: unknown key "flaten" in to \(did you mean "flatten"\?\)/],
    ['sync:\n  - from: quay.io/a/b\n    to: {registry: r.io, flatten: 4}\n', /^ferry\.yaml:3: to\.flatten must be an integer from -1 to 3, not 4$/],
    ['sync:\n  - from: quay.io/b\n    to: {registry: r.io, namespace: n, flatten: 2}\n', /^ferry\.yaml:2: cannot flatten quay\.io\/b:latest: .*fewer than flattening level 2|^ferry\.yaml:3: cannot flatten/],
    ['sync:\n  - from: quay.io/a/b\n    to: {registry: r.io, oci: /x}\n', /^ferry\.yaml:3: to needs exactly one of registry or oci/],
    ['sync:\n  - from: {registry: quay.io, repositories: [a/*]}\n    to: {registry: r.io, repository: x}\n', /^ferry\.yaml:3: to\.repository names one repository/],
    ['sync:\n  - from: quay.io/a/b\n    to: {registry: r.io, repository: x, tag: t}\n', /^ferry\.yaml:3: to\.tag renames one image/],
    ['sync:\n  - from: oci:/srv/l\n    to: {registry: r.io, repository: x}\n', /^ferry\.yaml:3: to\.repository names one repository/],
    ['sync:\n  - from: quay.io/a/b\n    to: {registry: r.io, tag: t}\n', /^ferry\.yaml:3: to\.tag needs to\.repository/],
    ['sync:\n  - from: docker.io/library/*\n    to: r.io\n', /^ferry\.yaml:2: Docker Hub does not list its repositories/],
    ['sync:\n  - from: library/*\n    to: r.io\n', /^ferry\.yaml:2: invalid from "library\/\*": name the registry before the pattern/],
    ['sync:\n  - from: quay.io/A\n    to: r.io\n', /^ferry\.yaml:2: invalid from "quay\.io\/A": .*lowercase/],
    ['sync:\n  - from: docker-daemon:app:1\n    to: r.io\n', /^ferry\.yaml:2: invalid from "docker-daemon:app:1": .*names an image .*not a repository/],
    ['sync:\n  - from: containers-storage:[vfs@rel]app\n    to: r.io\n', /^ferry\.yaml:2: .*"rel" must be an absolute path/],
    ['sync:\n  - from: {registry: quay.io/x}\n    to: r.io\n', /^ferry\.yaml:2: invalid from\.registry "quay\.io\/x": give only the host/],
    ['sync:\n  - from: {registry: quay.io, repositories: ["/a"]}\n    to: r.io\n', /^ferry\.yaml:2: invalid repository pattern "\/a"/],
    ['sync:\n  - from: quay.io/a/b\n    tags: {semver: "nope"}\n    to: r.io\n', /^ferry\.yaml:3: invalid tags\.semver: "nope" is not a valid semver range/],
    ['sync:\n  - from: quay.io/a/b\n    tags: {regex: "a("}\n    to: r.io\n', /^ferry\.yaml:3: invalid tags\.regex/],
    ['sync:\n  - from: quay.io/a/b\n    tags: {newest: 0}\n    to: r.io\n', /^ferry\.yaml:3: tags\.newest must be an integer from 1/],
    ['sync:\n  - from: quay.io/a/b\n    tags: {by: created}\n    to: r.io\n', /^ferry\.yaml:3: tags\.by only applies together with newest/],
    ['sync:\n  - from: quay.io/a/b\n    tags: {newest: 2, by: date}\n    to: r.io\n', /^ferry\.yaml:3: tags\.by must be semver or created/],
    ['sync:\n  - from: quay.io/a/b\n    tags: latest\n    to: r.io\n', /^ferry\.yaml:3: tags must be "all", a list of tags, or a mapping/],
    ['sync:\n  - from: quay.io/a/b\n    tags: []\n    to: r.io\n', /^ferry\.yaml:3: tags: \[\] selects nothing/],
    ['sync:\n  - from: quay.io/a/b\n    tags: ["bad tag"]\n    to: r.io\n', /^ferry\.yaml:3: invalid tag "bad tag"/],
    ['sync:\n  - from: quay.io/a/b\n    platforms: [linux]\n    to: r.io\n', /^ferry\.yaml:3: invalid platform "linux"/],
    ['sync:\n  - from: quay.io/a/b\n    suffix: "+x"\n    to: r.io\n', /^ferry\.yaml:3: suffix "\+x" may only hold/],
    ['sync:\n  - from: quay.io/a/b\n    tags: ["sha256:' + 'c'.repeat(64) + '"]\n    suffix: -x\n    to: r.io\n', /^ferry\.yaml:\d: cannot append suffix "-x"/],
    ['registries:\n  myreg:\n    tls-verify: false\n', /^ferry\.yaml:2: invalid registry "myreg"/],
    ['registries:\n  quay.io:\n    tls-verify: yes please\n', /^ferry\.yaml:3: quay\.io tls-verify must be true or false/],
    ['registries:\n  quay.io:\n    max-concurency: 2\n', /^ferry\.yaml:3: unknown key "max-concurency" in registry quay\.io \(did you mean "max-concurrency"\?\)/],
    ['registries:\n  quay.io:\n    bandwidth: fast\n', /^ferry\.yaml:3: quay\.io bandwidth: "fast" is not a rate/],
    ['registries:\n  quay.io:\n    requests-per-second: 0\n', /^ferry\.yaml:3: quay\.io requests-per-second must be a positive number/],
    ['registries:\n  quay.io:\n    credentials: {username: u}\n', /^ferry\.yaml:3: quay\.io credentials: password is missing/],
    ['registries:\n  quay.io:\n    credentials: {username: u, password: p, token: t}\n', /^ferry\.yaml:3: quay\.io credentials: give username and password, or token/],
    ['registries:\n  quay.io:\n    credentials:\n      username: u\n      password: ${NOT_SET}\n', /^ferry\.yaml:5: environment variable NOT_SET is not set/],
    ['registries:\n  index.docker.io: {}\n  docker.io: {}\n', /^ferry\.yaml:3: registry docker\.io is already configured on line 2/],
    ['defaults:\n  jobs: 0\n', /^ferry\.yaml:2: defaults\.jobs must be an integer from 1 to 1024/],
    ['defaults:\n  to: &t r.io\nsync:\n  - {from: quay.io/a/b, to: *nope}\n', /^ferry\.yaml:4: alias \*nope has no anchor/],
  ];
  for (const [yaml, message] of table) {
    assert.throws(() => parse(yaml), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && message.test(e.message), yaml);
  }
});

test('anchors and aliases work, within a budget', () => {
  const spec = parse('defaults:\n  to: &dest mirror.io/hub\nsync:\n  - {from: quay.io/a/b, to: *dest}\n');
  assert.equal(target(spec.sources[0]!, '1'), 'docker://mirror.io/hub/a/b:1');
  // Aliases are counted, so a document cannot make the reader expand without bound.
  const many = Array(1001).fill('*t').join(', ');
  assert.throws(() => parse(`defaults:\n  suffix: &t x\nsync:\n  - {from: quay.io/a/b, to: r.io, tags: [${many}]}\n`), /ferry\.yaml:4: more than 1000 aliases/);
});
