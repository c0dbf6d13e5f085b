import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { openImage } from '../src/transports/open-image.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, catalog, file, image, PLAIN, seedAll, syncOk, tags } from './fixtures/sync.ts';

/**
 * Every `ferry sync` input format end to end against real registries, each
 * result checked with skopeo: `--src docker|yaml|oci`, `--dest docker|oci|dir`,
 * image-syncer files (`--images`, JSON and YAML, with an auth file using
 * `${ENV}`), `oc image mirror` mappings with wildcards, and skopeo's naming
 * (default, `--scoped`, `--append-suffix`).
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd');

const BASE = [{ size: 64 * 1024, seed: 'inputs-base' }];
const SPECS: SyntheticImageSpec[] = [
  image('team/app', 'v1', { sharedLayers: BASE }),
  image('team/app', 'v2', { sharedLayers: BASE }),
  image('team/tools', '1.0'),
  image('team/tools', '1.1'),
  image('team/tools', '2.0'),
  image('other/db', '7.0.1'),
  image('other/db', '7.2.0'),
  image('other/db', '8.0.0'),
  image('other/db', 'edge'),
];
const PRIVATE: SyntheticImageSpec[] = [image('private/app', 'v1', { sharedLayers: BASE })];
const store = syntheticStore([...SPECS, ...PRIVATE]);
const USER = 'syncer';
const PASSWORD = 'pw-in-htpasswd-5e1f';

/** Digest of each `name:tag` of the store. */
async function digestOf(name: string, tag: string): Promise<string> {
  return (await store.image(name, tag)).top.digest;
}

describe('ferry sync inputs', { skip }, () => {
  let source: RunningRegistry;
  let secured: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;

  before(async () => {
    [source, secured, dest, work] = await Promise.all([
      startRegistry(),
      startRegistry({ htpasswd: { [USER]: PASSWORD } }),
      startRegistry(),
      tempDir('ferry-sync-inputs'),
    ]);
    await seedAll(store, source.host, SPECS);
    await seedAll(store, secured.host, PRIVATE, { username: USER, password: PASSWORD });
  });

  after(async () => {
    await Promise.all([source?.stop(), secured?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('--src docker with a repository copies every tag to DEST/<last element>:<tag>', async () => {
    const { report } = await syncOk(work, 'docker-repo', ['--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app`, `${dest.host}/d1`]);
    assert.deepEqual(await tags(dest.url, 'd1/app'), ['v1', 'v2']);
    await assertDigests(dest.host, { 'd1/app:v1': await digestOf('team/app', 'v1'), 'd1/app:v2': await digestOf('team/app', 'v2') });
    assert.equal(report.totals.copied, 2);
    assert.deepEqual(report.images.map((i) => i.destination).sort(), [`docker://${dest.host}/d1/app:v1`, `docker://${dest.host}/d1/app:v2`]);
  });

  test('--src docker with repo:tag copies that one image; --append-suffix renames the tag', async () => {
    await syncOk(work, 'docker-tag', ['--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/tools:1.1`, `${dest.host}/d2`]);
    assert.deepEqual(await tags(dest.url, 'd2/tools'), ['1.1']);
    await syncOk(work, 'docker-suffix', ['--src', 'docker', '--dest', 'docker', ...PLAIN, '--append-suffix', '-mirror', `${source.host}/team/tools:1.0`, `${dest.host}/d2`]);
    assert.deepEqual(await tags(dest.url, 'd2/tools'), ['1.0-mirror', '1.1']);
    await assertDigests(dest.host, { 'd2/tools:1.1': await digestOf('team/tools', '1.1'), 'd2/tools:1.0-mirror': await digestOf('team/tools', '1.0') });
  });

  test('--scoped with a source registry that has a port is refused up front, as skopeo cannot name it either', async () => {
    const run = await runFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, '--scoped', `${source.host}/team/tools:2.0`, `${dest.host}/scoped-port`]);
    assert.notEqual(run.code, 0, explain(run));
    assert.match(run.stderr, /not a valid image reference/);
    assert.match(run.stderr, /--scoped/);
    assert.doesNotMatch(run.stderr, /^\s+at /m);
    assert.ok(!(await catalog(dest.url)).some((r) => r.startsWith('scoped-port')), 'nothing was copied');
  });

  test('--src yaml: images (tags and all), images-by-tag-regex, images-by-semver, tls-verify', async () => {
    const yaml = await file(
      work,
      'skopeo-sync.yaml',
      [
        `${source.host}:`,
        '  tls-verify: false',
        '  images:',
        '    team/app: []',
        '    team/tools:',
        '      - "1.0"',
        '  images-by-tag-regex:',
        '    other/db: ^7\\.',
        '  images-by-semver:',
        '    team/tools: ">= 1.1, < 2"',
        '',
      ].join('\n'),
    );
    const { report } = await syncOk(work, 'skopeo-yaml', ['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, `${dest.host}/y`]);
    assert.deepEqual(await catalog(dest.url).then((c) => c.filter((r) => r.startsWith('y/'))), ['y/app', 'y/db', 'y/tools']);
    assert.deepEqual(await tags(dest.url, 'y/app'), ['v1', 'v2'], 'an empty list means every tag');
    assert.deepEqual(await tags(dest.url, 'y/tools'), ['1.0', '1.1']);
    assert.deepEqual(await tags(dest.url, 'y/db'), ['7.0.1', '7.2.0']);
    await assertDigests(dest.host, {
      'y/tools:1.0': await digestOf('team/tools', '1.0'),
      'y/tools:1.1': await digestOf('team/tools', '1.1'),
      'y/db:7.2.0': await digestOf('other/db', '7.2.0'),
    });
    assert.equal(report.totals.copied, 6);
  });

  test('--src yaml reads a registry behind htpasswd with the credentials of the YAML', async () => {
    const yaml = await file(
      work,
      'skopeo-private.yaml',
      [`${secured.host}:`, '  tls-verify: false', '  credentials:', `    username: ${USER}`, `    password: ${PASSWORD}`, '  images:', '    private/app: [v1]', ''].join('\n'),
    );
    const { report, run } = await syncOk(work, 'skopeo-private', ['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, `${dest.host}/priv`]);
    await assertDigests(dest.host, { 'priv/app:v1': await digestOf('private/app', 'v1') });
    assert.equal(report.totals.copied, 1);
    assert.ok(!run.stderr.includes(PASSWORD));
  });

  test('--src oci reads every image of a layout; default naming uses the last path element, --scoped the full ref name', async () => {
    const layout = join(work, 'src-layout');
    const repoOf = async (name: string) => (await openImage(`docker://${source.host}/${name}`, { role: 'source', access: { tlsVerify: false } })).repository;
    const app = await repoOf('team/app');
    const tools = await repoOf('team/tools');
    try {
      // Each call rewrites index.json with its own entries; the final index lists both.
      const a = await writeOciLayout(app, layout, [{ name: 'ns/app:v1', reference: 'v1' }]);
      const b = await writeOciLayout(tools, layout, [{ name: 'ns/tools:2.0', reference: '2.0' }]);
      await file(layout, 'index.json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [...a, ...b] }));
    } finally {
      await app.close();
      await tools.close();
    }
    const toolsDigest = await digestOf('team/tools', '2.0');

    await syncOk(work, 'oci-src', ['--src', 'oci', '--dest', 'docker', ...PLAIN, layout, `${dest.host}/o`]);
    await assertDigests(dest.host, { 'o/app:v1': await digestOf('team/app', 'v1'), 'o/tools:2.0': toolsDigest });
    await syncOk(work, 'oci-src-scoped', ['--src', 'oci', '--dest', 'docker', ...PLAIN, '--scoped', layout, `${dest.host}/os`]);
    await assertDigests(dest.host, { 'os/ns/app:v1': await digestOf('team/app', 'v1'), 'os/ns/tools:2.0': toolsDigest });
  });

  test('--dest oci fills one shared layout that skopeo reads images out of', async () => {
    const layout = join(work, 'dest-layout');
    await syncOk(work, 'oci-dest-1', ['--src', 'docker', '--dest', 'oci', ...PLAIN, `${source.host}/team/app`, layout]);
    await syncOk(work, 'oci-dest-2', ['--src', 'docker', '--dest', 'oci', ...PLAIN, `${source.host}/team/tools:1.0`, layout]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const names = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort();
    assert.deepEqual(names, ['app:v1', 'app:v2', 'tools:1.0']);
    for (const [name, repo, tag] of [['app:v1', 'team/app', 'v1'], ['app:v2', 'team/app', 'v2'], ['tools:1.0', 'team/tools', '1.0']] as const) {
      assert.equal(await skopeoInspectDigest(`oci:${layout}:${name}`), await digestOf(repo, tag), `oci:${name}`);
    }
    const out = join(work, 'from-layout');
    await skopeoCopy(`oci:${layout}:app:v2`, `dir:${out}`, ['--preserve-digests']);
    const manifest = await readFile(join(out, 'manifest.json'));
    assert.equal(`sha256:${createHash('sha256').update(manifest).digest('hex')}`, await digestOf('team/app', 'v2'), 'skopeo copied the image out intact');
  });

  test('--dest dir writes one skopeo dir image per tag, named as skopeo sync --dest dir names them', async () => {
    const ours = join(work, 'dest-dir-ferry');
    const theirs = join(work, 'dest-dir-skopeo');
    const { report } = await syncOk(work, 'dir-dest', ['--src', 'docker', '--dest', 'dir', ...PLAIN, `${source.host}/team/app`, ours]);
    assert.equal(report.totals.copied, 2);
    await skopeo(['sync', '--src', 'docker', '--dest', 'dir', '--src-tls-verify=false', `${source.host}/team/app`, theirs]);
    const layout = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true })).map(String).filter((p) => p.endsWith('manifest.json') && !/[0-9a-f]{64}\.manifest\.json$/.test(p)).sort();
    assert.deepEqual(await layout(theirs), ['app:v1/manifest.json', 'app:v2/manifest.json']);
    assert.deepEqual(await layout(ours), await layout(theirs), 'the same directory names as skopeo');
    for (const tag of ['v1', 'v2']) {
      const dir = join(ours, `app:${tag}`);
      assert.equal(await skopeoInspectDigest(`dir:${dir}`), await digestOf('team/app', tag), `dir:${dir}`);
    }
    assert.deepEqual(report.images.map((i) => i.destination).sort(), ['v1', 'v2'].map((t) => `dir:${join(ours, `app:${t}`)}`));
  });

  test('--images (JSON) with an auth file (YAML) using ${ENV}: tag lists, regex, registry auth and insecure', async () => {
    const images = await file(
      work,
      'images.json',
      JSON.stringify(
        {
          [`${secured.host}/private/app:v1`]: `${dest.host}/is/private-app`,
          [`${source.host}/team/tools:1.0,2.0`]: `${dest.host}/is/tools`,
          [`${source.host}/other/db:/^7\\.2/`]: [`${dest.host}/is/db`, `${dest.host}/is/db-copy`],
        },
        null,
        2,
      ),
    );
    const auth = await file(
      work,
      'auth.yaml',
      [`${secured.host}:`, '  username: ${SYNC_USER}', '  password: ${SYNC_PASS}', '  insecure: true', `${source.host}:`, '  insecure: true', `${dest.host}:`, '  insecure: true', ''].join('\n'),
    );
    const { run, report } = await syncOk(work, 'images-json', ['--images', images, '--auth', auth], { env: { SYNC_USER: USER, SYNC_PASS: PASSWORD } });
    await assertDigests(dest.host, {
      'is/private-app:v1': await digestOf('private/app', 'v1'),
      'is/tools:1.0': await digestOf('team/tools', '1.0'),
      'is/tools:2.0': await digestOf('team/tools', '2.0'),
      'is/db:7.2.0': await digestOf('other/db', '7.2.0'),
      'is/db-copy:7.2.0': await digestOf('other/db', '7.2.0'),
    });
    assert.deepEqual(await tags(dest.url, 'is/tools'), ['1.0', '2.0']);
    assert.deepEqual(await tags(dest.url, 'is/db'), ['7.2.0']);
    assert.equal(report.totals.copied, 5);
    assert.ok(!run.stderr.includes(PASSWORD) && !run.stdout.includes(PASSWORD));
  });

  test('--images (YAML) with every tag of a repository and a renaming destination', async () => {
    const images = await file(work, 'images.yaml', [`${source.host}/team/app: ${dest.host}/iy/app`, `${source.host}/team/tools:2.0: ${dest.host}/iy/renamed:two`, ''].join('\n'));
    await syncOk(work, 'images-yaml', ['--images', images, ...PLAIN]);
    assert.deepEqual(await tags(dest.url, 'iy/app'), ['v1', 'v2']);
    await assertDigests(dest.host, { 'iy/app:v2': await digestOf('team/app', 'v2'), 'iy/renamed:two': await digestOf('team/tools', '2.0') });
  });

  test('--mapping: SRC DST and SRC=DST lines, comments, a * wildcard in the source tag', async () => {
    const mapping = await file(
      work,
      'mapping.txt',
      [
        '# oc image mirror mapping',
        `${source.host}/team/tools:1.* ${dest.host}/map/tools`,
        '',
        `${source.host}/other/db:8.0.0=${dest.host}/map/db:stable   # renamed`,
        '',
      ].join('\n'),
    );
    const { report } = await syncOk(work, 'mapping', ['--mapping', mapping, ...PLAIN]);
    assert.deepEqual(await tags(dest.url, 'map/tools'), ['1.0', '1.1'], '1.* matched 1.0 and 1.1, not 2.0');
    await assertDigests(dest.host, {
      'map/tools:1.0': await digestOf('team/tools', '1.0'),
      'map/tools:1.1': await digestOf('team/tools', '1.1'),
      'map/db:stable': await digestOf('other/db', '8.0.0'),
    });
    assert.equal(report.totals.copied, 3);
  });

});
