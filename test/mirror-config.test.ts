import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../src/errors.ts';
import { detectMirrorConfigFormat, loadMirrorConfig, withDestination } from '../src/mirror/mirror-input.ts';
import { parseSize } from '../src/util/size.ts';
import { tempDir } from './helpers/tmp.ts';

test('parseSize reads decimal and binary units', () => {
  const cases: Array<[string, number]> = [
    ['4GiB', 4 * 1024 ** 3], ['700MB', 700_000_000], ['512mib', 512 * 1024 ** 2], ['1.5 GiB', 1.5 * 1024 ** 3], ['1000', 1000], ['64KiB', 65536], ['2k', 2000],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
  for (const bad of ['', 'GiB', '-1MB', '0', '4 parsecs', '1e9']) assert.throws(() => parseSize(bad, '--max-size'), (e) => isFerryError(e, 'USAGE') && e.message.startsWith('--max-size'), bad);
});

test('mirror configs: skopeo YAML and ferry YAML are told apart by content; ferry YAML needs no to:', async (t) => {
  assert.equal(detectMirrorConfigFormat('quay.io:\n  images:\n    coreos/etcd: []\n'), 'skopeo');
  assert.equal(detectMirrorConfigFormat('sync:\n  - from: quay.io/coreos/etcd\n'), 'ferry');
  assert.equal(detectMirrorConfigFormat('registries: {}\nsync: []\n'), 'ferry');
  const dir = await tempDir('mirror-config', t);
  const skopeo = join(dir, 'skopeo.yaml');
  await writeFile(skopeo, 'registry.example.com:\n  images:\n    team/app: ["1.0"]\n  images-by-semver:\n    team/tool: ">=2"\n');
  const s = await loadMirrorConfig(skopeo);
  assert.equal(s.format, 'skopeo');
  assert.equal(s.spec.sources.length, 2);
  assert.ok(s.spec.sources.every((r) => r.platforms.kind === 'all'), 'a mirror keeps every platform');

  const ferry = join(dir, 'ferry.yaml');
  await writeFile(ferry, 'defaults:\n  jobs: 3\nsync:\n  - from: registry.example.com/team/app\n    tags: [1.0]\n    suffix: -x\n');
  const f = await loadMirrorConfig(ferry);
  assert.equal(f.format, 'ferry');
  const to = withDestination(f.spec, { kind: 'registry', registry: 'mirror:5000', prefix: 'm', flatten: 1 });
  assert.deepEqual(to.sources[0]!.destinations.map((d) => ({ location: d.location, path: d.path, naming: d.naming, suffix: d.suffix })), [
    { location: { transport: 'docker', root: 'mirror:5000' }, path: 'm', naming: { mode: 'flatten', level: 1 }, suffix: undefined },
  ]);
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'sync:\n  - from: registry.example.com/team/app\n    tgas: [1]\n');
  await assert.rejects(loadMirrorConfig(bad), (e) => isFerryError(e, 'INVALID_CONFIG') && /bad\.yaml:3/.test(e.message));
});
