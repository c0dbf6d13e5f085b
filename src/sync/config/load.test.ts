import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/helpers/tmp.ts';
import { FerryError } from '../../errors.ts';
import { loadSyncInput, mergeSyncSpecs } from './load.ts';

const fixtures = new URL('../../../test/fixtures/sync/', import.meta.url).pathname;
const env = { FIXTURE_USER: 'robot', FIXTURE_PASS: 'fixture-pass' };
const dest = { transport: 'docker', destination: 'registry.example.com/mirror' } as const;

test('every input kind loads from its fixture', async () => {
  const skopeo = await loadSyncInput({ kind: 'skopeo-yaml', path: join(fixtures, 'skopeo-sync.yaml'), dest, flags: { all: true } }, { env });
  assert.equal(skopeo.sources.length, 5);
  assert.equal(skopeo.sources[0]!.origin.file, join(fixtures, 'skopeo-sync.yaml'));
  assert.equal(skopeo.sources[0]!.origin.line, 4);

  const images = await loadSyncInput({ kind: 'images', path: join(fixtures, 'images.json'), authPath: join(fixtures, 'auth.yaml') }, { env });
  assert.equal(images.sources.length, 3);
  assert.equal(images.sources[1]!.destinations.length, 2);
  assert.deepEqual(images.registries.map((r) => r.scope), ['quay.io', 'registry.example.com/mirror']);
  const pass = images.registries[1]!.options.credentials;
  assert.equal(pass?.kind === 'basic' && pass.password.reveal(), 'fixture-pass');

  const mapping = await loadSyncInput({ kind: 'mapping', path: join(fixtures, 'mapping.txt') });
  assert.deepEqual(mapping.sources.map((r) => r.origin.line), [2, 3, 4]);

  const ferry = await loadSyncInput({ kind: 'ferry', path: join(fixtures, 'ferry.yaml') }, { env });
  assert.equal(ferry.sources.length, 1);
  assert.equal(ferry.registries[0]!.options.maxConcurrency, 8);

  const docker = await loadSyncInput({ kind: 'docker', source: 'quay.io/a/b:1', dest });
  assert.deepEqual(docker.sources[0]!.tags, { kind: 'explicit', tags: ['1'], digests: [] });
  const oci = await loadSyncInput({ kind: 'oci', path: '/srv/layout', dest: { transport: 'oci', destination: '/srv/out' } });
  assert.equal(oci.sources[0]!.source.kind, 'oci-layout');
  const daemon = await loadSyncInput({ kind: 'engine', transport: 'docker-daemon', source: 'app', daemonHost: 'unix:///d.sock', dest });
  assert.deepEqual(daemon.sources[0]!.source, { kind: 'engine', transport: 'docker-daemon', registry: 'docker.io', repository: 'library/app', daemonHost: 'unix:///d.sock' });
  assert.deepEqual(daemon.sources[0]!.tags, { kind: 'filter', include: [], exclude: [] });
  const storage = await loadSyncInput({ kind: 'engine', transport: 'containers-storage', source: 'containers-storage:[/var/s]localhost/app:2', dest });
  assert.deepEqual(storage.sources[0]!.source, { kind: 'engine', transport: 'containers-storage', registry: 'localhost', repository: 'app', store: { root: '/var/s' } });
  assert.deepEqual(storage.sources[0]!.tags, { kind: 'explicit', tags: ['2'], digests: [] });
  await assert.rejects(loadSyncInput({ kind: 'engine', transport: 'containers-storage', source: '[rel]app', dest }), (e) => e instanceof FerryError && e.code === 'USAGE' && /absolute/.test(e.message));
});

test('JSON and YAML are told apart by content, not name', async (t) => {
  const dir = await tempDir('ferry-load', t);
  const jsonNamedYaml = join(dir, 'images.yaml');
  await writeFile(jsonNamedYaml, '{\n\t"quay.io/a/b:1": "r.io/x"\n}\n');
  const yamlNamedJson = join(dir, 'images.json');
  await writeFile(yamlNamedJson, 'quay.io/a/b:1: r.io/x\n');
  for (const path of [jsonNamedYaml, yamlNamedJson]) {
    const spec = await loadSyncInput({ kind: 'images', path }, { env });
    assert.equal(spec.sources.length, 1, path);
  }
  const badJson = join(dir, 'bad.json');
  await writeFile(badJson, '{\n  "quay.io/a/b:1": "r.io/x",\n  "x"\n');
  await assert.rejects(loadSyncInput({ kind: 'images', path: badJson }, { env }), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && e.message.startsWith(`${badJson}:`));
});

test('text given by the caller is used instead of reading the file', async () => {
  const spec = await loadSyncInput({ kind: 'mapping', path: '-', text: 'quay.io/a/b:1 r.io/x\n' });
  assert.deepEqual(spec.sources[0]!.origin, { file: '-', line: 1 });
});

test('unreadable files are errors naming the file', async (t) => {
  const dir = await tempDir('ferry-load', t);
  await assert.rejects(loadSyncInput({ kind: 'ferry', path: join(dir, 'missing.yaml') }), (e: unknown) => e instanceof FerryError && e.code === 'IO' && /config file .*missing\.yaml does not exist/.test(e.message));
  await assert.rejects(loadSyncInput({ kind: 'ferry', path: dir }), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && /is a directory, not a regular file/.test(e.message));
  await assert.rejects(
    loadSyncInput({ kind: 'images', path: join(fixtures, 'images.json'), authPath: join(dir, 'nope.json') }, { env }),
    (e: unknown) => e instanceof FerryError && e.code === 'IO' && /auth file/.test(e.message),
  );
});

test('an aborted signal stops loading', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(loadSyncInput({ kind: 'ferry', path: join(fixtures, 'ferry.yaml') }, { signal: controller.signal }), (e: unknown) => e instanceof FerryError && e.code === 'ABORTED');
});

test('specs merge in order', async () => {
  const a = await loadSyncInput({ kind: 'mapping', path: join(fixtures, 'mapping.txt') });
  const b = await loadSyncInput({ kind: 'ferry', path: join(fixtures, 'ferry.yaml'), text: 'defaults: {jobs: 3}\nsync: []\n' });
  const merged = mergeSyncSpecs([a, b]);
  assert.equal(merged.sources.length, 3);
  assert.deepEqual(merged.defaults, { jobs: 3 });
  assert.equal(merged.warnings.length, 1);
});
