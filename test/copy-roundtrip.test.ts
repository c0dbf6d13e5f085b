import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyImage } from '../src/copy/copy-image.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { openImage } from '../src/transports/open-image.ts';
import { nextLink } from '../src/transports/registry/registry-repository.ts';
import { explain, runFerry, runFerryRaw } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeo, skopeoCopy, skopeoInspectDigest, skopeoInspectRaw } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * Round trips with skopeo as the independent peer: what skopeo pushed, ferry
 * copies (registry → registry, registry → OCI layout → registry) without a
 * digest changing; what ferry pushed, skopeo pulls and verifies; `inspect`
 * and `list-tags` agree with skopeo's.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const PLAIN = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const TAGS = ['t1', 't2', 't3', 't4', 't5'];

const store = syntheticStore([
  {
    name: 'peer/app',
    tag: 'v1',
    layers: [300_000, 120_000],
    labels: { 'org.example.team': 'ferry', maintainer: 'tests' },
    env: ['PATH=/usr/bin:/bin', 'FERRY_MODE=roundtrip'],
  },
  {
    name: 'peer/multi',
    tag: 'v1',
    layers: [110_000],
    mediaTypes: 'docker',
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
  },
  ...TAGS.map((tag) => ({ name: 'peer/tags', tag, layers: [102_400], seed: 'shared-tags' })),
  {
    name: 'ferry/pushed',
    tag: 'v1',
    layers: [500_000, 200_000],
    labels: { 'org.opencontainers.image.title': 'pushed by ferry' },
  },
  {
    name: 'ferry/pushed-multi',
    tag: 'v1',
    layers: [130_000],
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ],
  },
]);

describe('round trips with skopeo', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-roundtrip')]);
    await seedRegistry(source.host, store.repository('peer/app'), ['v1']);
    await seedRegistry(source.host, store.repository('peer/multi'), ['v1']);
    await seedRegistry(source.host, store.repository('peer/tags'), TAGS);
  });

  after(async () => {
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('skopeo pushes, ferry copies registry → registry, digests unchanged', async () => {
    const expected = (await store.image('peer/app', 'v1')).top.digest;
    assert.equal(await skopeoInspectDigest(`docker://${source.host}/peer/app:v1`, { tlsVerify: false }), expected, 'skopeo seeded the exact bytes');

    const run = await runFerry(['copy', ...PLAIN, `docker://${source.host}/peer/app:v1`, `docker://${dest.host}/r2r/app:v1`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/r2r/app:v1`, { tlsVerify: false }), expected);
    // skopeo pulls every blob and verifies each digest on the way.
    await skopeoCopy(`docker://${dest.host}/r2r/app:v1`, `dir:${join(work, 'r2r-pull')}`, [], { src: { tlsVerify: false } });
    assert.equal(sha256(await readFile(join(work, 'r2r-pull', 'manifest.json'))), expected);
  });

  test('a Docker manifest list with --all crosses registry → registry byte for byte', async () => {
    const built = await store.image('peer/multi', 'v1');
    const run = await runFerry(['copy', '--all', ...PLAIN, `docker://${source.host}/peer/multi:v1`, `docker://${dest.host}/r2r/multi:v1`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/r2r/multi:v1`, { tlsVerify: false }), built.top.digest);
    const list = (await skopeoInspectRaw(`docker://${dest.host}/r2r/multi:v1`, { tlsVerify: false })) as { mediaType: string };
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    await skopeoCopy(`docker://${dest.host}/r2r/multi:v1`, `dir:${join(work, 'multi-pull')}`, ['--all'], { src: { tlsVerify: false } });
  });

  test('registry → OCI layout → registry keeps the digests, and skopeo reads the layout', async () => {
    const layout = join(work, 'layout');
    const app = (await store.image('peer/app', 'v1')).top.digest;
    const multi = (await store.image('peer/multi', 'v1')).top.digest;

    let run = await runFerry(['copy', ...PLAIN, `docker://${source.host}/peer/app:v1`, `oci:${layout}:app-v1`]);
    assert.equal(run.code, 0, explain(run));
    run = await runFerry(['copy', '--all', ...PLAIN, `docker://${source.host}/peer/multi:v1`, `oci:${layout}:multi-v1`]);
    assert.equal(run.code, 0, explain(run));
    // skopeo's layout reader takes OCI media types only, so it checks the OCI image.
    assert.equal(await skopeoInspectDigest(`oci:${layout}:app-v1`), app);
    // inspect of a layout image prints the fields skopeo prints (no Name, no tags of other images).
    const ours = JSON.parse((await runFerry(['inspect', `oci:${layout}:app-v1`])).stdout) as Record<string, unknown>;
    const theirs = JSON.parse((await skopeo(['inspect', `oci:${layout}:app-v1`])).stdout.toString('utf8')) as Record<string, unknown>;
    for (const field of ['Name', 'Digest', 'RepoTags', 'Created', 'Layers', 'Architecture', 'Os', 'Labels', 'Env']) {
      assert.deepEqual(ours[field], theirs[field], `oci inspect: ${field}`);
    }

    run = await runFerry(['copy', ...PLAIN, `oci:${layout}:app-v1`, `docker://${dest.host}/via-layout/app:v1`]);
    assert.equal(run.code, 0, explain(run));
    run = await runFerry(['copy', '--all', ...PLAIN, `oci:${layout}:multi-v1`, `docker://${dest.host}/via-layout/multi:v1`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/via-layout/app:v1`, { tlsVerify: false }), app);
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/via-layout/multi:v1`, { tlsVerify: false }), multi);
  });

  test('ferry pushes from a synthetic source (library), skopeo pulls and its digests match', async () => {
    for (const name of ['ferry/pushed', 'ferry/pushed-multi']) {
      const built = await store.image(name, 'v1');
      const destination = await openImage(`docker://${dest.host}/${name}:v1`, { role: 'destination', access: { tlsVerify: false } });
      try {
        const result = await copyImage({
          source: { repository: store.repository(name), reference: 'v1', display: `synthetic:${name}:v1` },
          destination,
          instances: { mode: 'all' },
        });
        assert.equal(result.digest, built.top.digest);
        assert.equal(result.blobs.uploaded, built.blobs.size);
      } finally {
        await destination.repository.close();
      }
      const ref = `docker://${dest.host}/${name}:v1`;
      assert.equal(await skopeoInspectDigest(ref, { tlsVerify: false }), built.top.digest, name);
      const pulled = join(work, `pulled-${name.replace('/', '-')}`);
      await skopeoCopy(ref, `dir:${pulled}`, ['--all', '--preserve-digests'], { src: { tlsVerify: false } });
      assert.equal(sha256(await readFile(join(pulled, 'manifest.json'))), built.top.digest);
      for (const m of built.manifests.slice(1)) {
        const bytes = await readFile(join(pulled, `${m.digest.slice('sha256:'.length)}.manifest.json`));
        assert.equal(sha256(bytes), m.digest, 'each platform manifest arrived intact');
      }
    }
  });

  test('ferry copies an independently written OCI layout (CLI oci:) to a registry', async () => {
    const layout = join(work, 'independent-layout');
    await writeOciLayout(store.repository('ferry/pushed'), layout, [{ name: 'release', reference: 'v1' }]);
    const expected = (await store.image('ferry/pushed', 'v1')).top.digest;
    const run = await runFerry(['copy', '--dest-tls-verify=false', `oci:${layout}:release`, `docker://${dest.host}/from-layout/app:release`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/from-layout/app:release`, { tlsVerify: false }), expected);
  });

  test('ferry inspect agrees with skopeo inspect', async () => {
    for (const ref of [`docker://${source.host}/peer/app:v1`, `docker://${source.host}/peer/multi:v1`]) {
      const run = await runFerry(['inspect', '--tls-verify=false', ref]);
      assert.equal(run.code, 0, explain(run));
      const ours = JSON.parse(run.stdout) as Record<string, unknown>;
      const theirs = JSON.parse((await skopeo(['inspect', '--tls-verify=false', ref])).stdout.toString('utf8')) as Record<string, unknown>;
      for (const field of ['Name', 'Digest', 'RepoTags', 'Created', 'DockerVersion', 'Layers', 'Architecture', 'Os', 'Labels', 'Env']) {
        assert.deepEqual(ours[field], theirs[field], `${ref}: ${field}`);
      }
      // skopeo 1.9 prints no LayersData (later versions do); ours must describe the same layers.
      const layersData = ours['LayersData'] as Array<{ Digest: string; Size: number }>;
      assert.deepEqual(layersData.map((l) => l.Digest), theirs['Layers']);
      assert.ok(layersData.every((l) => l.Size > 0));
    }
    const app = JSON.parse((await runFerry(['inspect', '--tls-verify=false', `docker://${source.host}/peer/app:v1`])).stdout) as Record<string, unknown>;
    assert.deepEqual(app['Labels'], { 'org.example.team': 'ferry', maintainer: 'tests' });
    assert.deepEqual(app['Env'], ['PATH=/usr/bin:/bin', 'FERRY_MODE=roundtrip']);
  });

  test('ferry inspect --raw and --config --raw print the bytes skopeo prints', async () => {
    for (const ref of [`docker://${source.host}/peer/app:v1`, `docker://${source.host}/peer/multi:v1`]) {
      const ours = await runFerryRaw(['inspect', '--raw', '--tls-verify=false', ref]);
      assert.equal(ours.code, 0, explain(ours));
      const theirs = await skopeo(['inspect', '--raw', '--tls-verify=false', ref]);
      assert.ok(ours.stdout.equals(theirs.stdout), `${ref}: raw manifest bytes differ`);
    }
    const ref = `docker://${source.host}/peer/app:v1`;
    const ours = await runFerryRaw(['inspect', '--config', '--raw', '--tls-verify=false', ref]);
    assert.equal(ours.code, 0, explain(ours));
    const theirs = await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', ref]);
    assert.equal(ours.stdout.toString('utf8').trimEnd(), theirs.stdout.toString('utf8').trimEnd());
  });

  test('list-tags returns every tag, as skopeo list-tags does', async () => {
    const ref = `docker://${source.host}/peer/tags`;
    const run = await runFerry(['list-tags', '--tls-verify=false', ref]);
    assert.equal(run.code, 0, explain(run));
    const ours = JSON.parse(run.stdout) as { Repository: string; Tags: string[] };
    const theirs = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', ref])).stdout.toString('utf8')) as { Repository: string; Tags: string[] };
    assert.equal(ours.Repository, theirs.Repository);
    assert.deepEqual([...ours.Tags].sort(), [...TAGS].sort());
    assert.deepEqual([...ours.Tags].sort(), [...theirs.Tags].sort());
  });
});

describe('Link pagination of tag lists', () => {
  test('nextLink finds rel="next" and resolves it against the request URL', () => {
    const base = 'https://registry.example/v2/ns/app/tags/list?n=2';
    const cases: Array<[string | undefined, string | undefined]> = [
      [undefined, undefined],
      ['', undefined],
      ['</v2/ns/app/tags/list?last=b&n=2>; rel="next"', 'https://registry.example/v2/ns/app/tags/list?last=b&n=2'],
      ['</v2/ns/app/tags/list?n=2&last=b>; rel=next', 'https://registry.example/v2/ns/app/tags/list?n=2&last=b'],
      ['<https://mirror.example/v2/ns/app/tags/list?last=z>; rel="next"', 'https://mirror.example/v2/ns/app/tags/list?last=z'],
      ['</docs>; rel="help", </v2/ns/app/tags/list?last=c>; rel="next"', 'https://registry.example/v2/ns/app/tags/list?last=c'],
      ['</v2/ns/app/tags/list?last=a>; rel="prev"', undefined],
      ['<tags/list?last=d>; rel="next"', 'https://registry.example/v2/ns/app/tags/tags/list?last=d'],
    ];
    for (const [link, expected] of cases) assert.equal(nextLink(link, base), expected, String(link));
  });
});
