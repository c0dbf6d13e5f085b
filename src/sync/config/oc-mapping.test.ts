import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { destinationFor, formatTarget } from '../select/destination.ts';
import { parseOcArguments, parseOcMapping } from './oc-mapping.ts';

const D = `sha256:${'b'.repeat(64)}` as const;

test('oc image mirror mapping lines', () => {
  const text = [
    '# release images',
    'quay.io/openshift/origin-cli:4.14 registry.local:5000/openshift/cli',
    '',
    'quay.io/openshift/origin-cli:4.14=registry.local:5000/backup/cli:latest   # comment after',
    `quay.io/app/api@${D} registry.local:5000/app/api`,
    'quay.io/app/web:v1.* registry.local:5000/app/web registry.local:5000/app/web-copy',
    'docker.io/library/busybox:1.36=registry.local:5000/b:1 docker.io/library/alpine:3=registry.local:5000/a:3',
    '\tquay.io/app/web:2.0\t\tregistry.local:5000/app/web2',
  ].join('\n');
  const spec = parseOcMapping(text, 'mapping.txt');
  const rules = spec.sources;
  assert.deepEqual(rules.map((r) => r.origin.line), [2, 4, 5, 6, 7, 7, 8]);
  assert.deepEqual(rules[0]!.tags, { kind: 'explicit', tags: ['4.14'], digests: [] });
  assert.deepEqual(rules[2]!.tags, { kind: 'explicit', tags: [], digests: [D] });
  assert.deepEqual(rules[3]!.tags, { kind: 'filter', include: ['v1.*'], exclude: [] });
  assert.equal(rules[3]!.destinations.length, 2);
  assert.deepEqual(rules[0]!.platforms, { kind: 'all' });
  const name = (i: number, image: { tag: string } | { digest: typeof D }) => {
    const r = rules[i]!;
    const src = r.source as { registry: string; repository: string };
    return r.destinations.map((d) => formatTarget(destinationFor(d, { registry: src.registry, repository: src.repository, ...image })));
  };
  // DST without tag keeps the source tag; with a tag it renames; digests stay digests.
  assert.deepEqual(name(0, { tag: '4.14' }), ['docker://registry.local:5000/openshift/cli:4.14']);
  assert.deepEqual(name(1, { tag: '4.14' }), ['docker://registry.local:5000/backup/cli:latest']);
  assert.deepEqual(name(2, { digest: D }), [`docker://registry.local:5000/app/api@${D}`]);
  assert.deepEqual(name(3, { tag: 'v1.2' }), ['docker://registry.local:5000/app/web:v1.2', 'docker://registry.local:5000/app/web-copy:v1.2']);
  assert.deepEqual(name(5, { tag: '3' }), ['docker://registry.local:5000/a:3']);
});

test('malformed mapping lines are rejected with file:line', () => {
  const table: [string, RegExp][] = [
    ['quay.io/a/b:1', /^m\.txt:1: "quay\.io\/a\/b:1" has a source but no destination/],
    ['\n\nquay.io/a/b r.io/x', /^m\.txt:3: source "quay\.io\/a\/b" needs a tag, a digest or a wildcard tag/],
    ['quay.io/a/b:1=', /^m\.txt:1: "quay\.io\/a\/b:1=" is not a SRC=DST mapping/],
    ['quay.io/a/b:1=r.io/x extra', /^m\.txt:1: a line holds either SRC=DST mappings or "SRC DST…", not both/],
    [`quay.io/a/b:1 r.io/x@${D}`, /^m\.txt:1: destination "r\.io\/x@sha256:b+" has a digest/],
    ['quay.io/a/b:v* r.io/x:1', /^m\.txt:1: destination "r\.io\/x:1" has a tag, but the source has a wildcard tag/],
    ['quay.io/a/b:v*+ r.io/x', /^m\.txt:1: invalid wildcard tag "v\*\+"/],
    ['quay.io/A/b:1 r.io/x', /^m\.txt:1: invalid source "quay\.io\/A\/b:1": .*lowercase/],
    ['file://local/a:1 r.io/x', /^m\.txt:1: "file:\/\/local\/a:1": file:\/\/ locations are not supported/],
    ['quay.io/a/b:1 r.io/x:1\nquay.io/a/c:1 r.io/x:1', /^m\.txt:2: destination r\.io\/x:1 is already written by quay\.io\/a\/b:1 \(line 1\)/],
    ['quay.io/a/b:1 r.io/x\nquay.io/a/c:1 r.io/x', /^m\.txt:2: destination r\.io\/x:1 is already written/],
  ];
  for (const [text, message] of table) {
    assert.throws(() => parseOcMapping(text, 'm.txt'), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && message.test(e.message), text);
  }
  // The same mapping twice is harmless.
  assert.equal(parseOcMapping('quay.io/a/b:1 r.io/x\nquay.io/a/b:1 r.io/x', 'm.txt').sources.length, 2);
});

test('file:// in oc\'s disk format: sources under --from-dir, destinations under --dir, as oc image mirror', () => {
  const dirs = { fromDir: 'mirror', dir: 'out' };
  // The seed's step, as written: a wildcard over the tags of file://openshift/release.
  const [upload] = parseOcArguments(['file://openshift/release:4.3.0*', 'registry.local:5000/ocp/release'], dirs).sources;
  assert.deepEqual(upload!.source, { kind: 'oc-disk', path: 'mirror', repository: 'openshift/release' });
  assert.deepEqual(upload!.tags, { kind: 'filter', include: ['4.3.0*'], exclude: [] });
  assert.deepEqual(upload!.origin, { file: 'command line', line: 0 });
  const named = (rule: NonNullable<typeof upload>, image: { tag: string } | { digest: typeof D }) =>
    rule.destinations.map((d) => formatTarget(destinationFor(d, { repository: 'openshift/release', ...image })));
  assert.deepEqual(named(upload!, { tag: '4.3.0-cli' }), ['docker://registry.local:5000/ocp/release:4.3.0-cli']);

  // To disk: a registry source, a file:// destination (oc drops a leading "/" and a registry host).
  const text = `quay.io/ocp/release:4.3.0 file:///openshift/release\nquay.io/ocp/art@${D}=file://quay.io/openshift/art:4.3.0-cli`;
  const [release, art] = parseOcMapping(text, 'm.txt', dirs).sources;
  assert.deepEqual(release!.destinations[0]!.location, { transport: 'oc-disk', root: 'out' });
  assert.deepEqual(named(release!, { tag: '4.3.0' }), ['oc-disk:out:openshift/release:4.3.0']);
  assert.deepEqual(named(art!, { digest: D }), ['oc-disk:out:openshift/art:4.3.0-cli']);

  // Pairs on the command line; a digest source from disk.
  const pairs = parseOcArguments([`file://openshift/release@${D}=r.io/a/b:x`, 'file://openshift/release:4.3.0=r.io/a/b:y'], dirs).sources;
  assert.deepEqual(pairs.map((r) => r.tags), [{ kind: 'explicit', tags: [], digests: [D] }, { kind: 'explicit', tags: ['4.3.0'], digests: [] }]);

  for (const [args, message] of [
    [['file://openshift/release:4.3.0*'], /has a source but no destination/],
    [['a/b:1=r.io/x', 'r.io/y'], /either SRC=DST mappings or "SRC DST…"/],
    [['s3://bucket/x:1', 'r.io/x'], /s3:\/\/ locations are not supported/],
    [['file://Open/x:1', 'r.io/x'], /invalid source "file:\/\/Open\/x:1".*lowercase/],
  ] as const) {
    assert.throws(() => parseOcArguments(args, dirs), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && e.message.startsWith('command line: ') && message.test(e.message), args.join(' '));
  }
  // Without --dir / --from-dir (ferry sync --mapping) file:// is refused, naming the flag of ferry image mirror.
  assert.throws(() => parseOcArguments(['quay.io/a/b:1', 'file://x'], { fromDir: 'm' }), (e: unknown) => e instanceof FerryError && /--dir DIR/.test(e.hint ?? ''));
  assert.deepEqual(parseOcArguments([]).sources, []);
});
