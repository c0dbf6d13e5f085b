import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeoInspectDigest, skopeoInspectRaw } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, contents, file, image, seedAll, syncOk } from './fixtures/sync.ts';

/**
 * ferry's own sync YAML (`--config`) against real registries: repository
 * globs with Harbor's `*` / `**`, tag include/exclude, regex, semver ranges,
 * "newest N" by semver and by creation time, platform filters on an index,
 * flattening levels, namespaces and suffixes. Destinations are compared as a
 * whole (every repository and tag) so a filter that lets too much through
 * fails, and digests are checked with skopeo.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const web = (tag: string, created: string): SyntheticImageSpec => image('apps/web', tag, { created });
const SPECS: SyntheticImageSpec[] = [
  web('1.0.0', '2024-01-01T00:00:00Z'),
  web('1.1.0', '2024-02-01T00:00:00Z'),
  // Older than 1.1.0: "newest by created" and "newest by semver" disagree about it.
  web('1.2.0', '2024-01-15T00:00:00Z'),
  web('2.0.0-rc1', '2024-03-01T00:00:00Z'),
  web('1.1.0-perl', '2023-12-01T00:00:00Z'),
  web('latest', '2024-04-01T00:00:00Z'),
  image('apps/team/api', '1.0'),
  image('apps/team/api', '2.0'),
  image('apps/team/legacy-api', '2.0'),
  image('base/alpine', '3.19'),
  image('a/b/c/image', '1'),
  image('multi/app', 'v1', {
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'linux', architecture: 's390x' },
    ],
  }),
];
const store = syntheticStore(SPECS);

async function digestOf(name: string, tag: string): Promise<string> {
  return (await store.image(name, tag)).top.digest;
}

describe('ferry sync --config (ferry YAML)', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;
  /** `registries:` marking both test registries plain HTTP. */
  let registries: string;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-sync-yaml')]);
    await seedAll(store, source.host, SPECS);
    registries = ['registries:', `  "${source.host}":`, '    tls-verify: false', `  "${dest.host}":`, '    tls-verify: false'].join('\n');
  });

  after(async () => {
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  /** Destination contents under `prefix/`. */
  async function under(prefix: string): Promise<string[]> {
    return (await contents(dest.url)).filter((n) => n.startsWith(`${prefix}/`));
  }

  test('repository globs (* vs **, exclude, whole catalog), tag include/exclude, regex and semver', async () => {
    const config = await file(
      work,
      'globs.yaml',
      `version: 1
${registries}
sync:
  - from: {registry: "${source.host}", repositories: ["apps/*"]}
    tags: {include: ["1.*"], exclude: ["*-perl"]}
    to: {registry: "${dest.host}", namespace: star}
  - from: {registry: "${source.host}", repositories: ["apps/**"], exclude: ["apps/**/legacy-*"]}
    tags: {regex: '^2\\.'}
    to: {registry: "${dest.host}", namespace: dstar, flatten: -1}
  - from: ${source.host}/apps/web
    tags: {semver: ">= 1.1, < 2"}
    to: {registry: "${dest.host}", namespace: sem, flatten: 1}
    suffix: -m
  - from: {registry: "${source.host}", exclude: ["apps/**", "multi/*", "a/**"]}
    tags: all
    to: "${dest.host}/cat"
`,
    );
    const { report } = await syncOk(work, 'globs', ['--config', config]);
    // `apps/*` is one segment: apps/web, never apps/team/api.
    assert.deepEqual(await under('star'), ['star/apps/web:1.0.0', 'star/apps/web:1.1.0', 'star/apps/web:1.2.0']);
    // `apps/**` crosses segments, the exclude drops legacy-api, the regex keeps 2.x (a pre-release too), flatten -1 keeps the last element.
    assert.deepEqual(await under('dstar'), ['dstar/api:2.0', 'dstar/web:2.0.0-rc1']);
    // A semver range leaves out pre-releases (1.1.0-perl, 2.0.0-rc1) and non-versions (latest).
    assert.deepEqual(await under('sem'), ['sem/web:1.1.0-m', 'sem/web:1.2.0-m']);
    // Every repository of the catalog but the excluded ones, full path kept under the namespace.
    assert.deepEqual(await under('cat'), ['cat/base/alpine:3.19']);
    assert.equal(report.totals.copied, 8);
    await assertDigests(dest.host, {
      'star/apps/web:1.2.0': await digestOf('apps/web', '1.2.0'),
      'dstar/api:2.0': await digestOf('apps/team/api', '2.0'),
      'sem/web:1.1.0-m': await digestOf('apps/web', '1.1.0'),
      'cat/base/alpine:3.19': await digestOf('base/alpine', '3.19'),
    });
  });

  test('newest N: by semver (releases, or pre-releases ranked below their release) and by image creation time', async () => {
    const config = await file(
      work,
      'newest.yaml',
      `${registries}
sync:
  - from: ${source.host}/apps/web
    tags: {semver: "*", newest: 2}
    to: {registry: "${dest.host}", namespace: n-release, flatten: -1}
  - from: ${source.host}/apps/web
    tags: {newest: 2}
    to: {registry: "${dest.host}", namespace: n-semver, flatten: -1}
  - from: ${source.host}/apps/web
    tags: {newest: 3, by: created}
    to: {registry: "${dest.host}", namespace: n-created, flatten: -1}
`,
    );
    await syncOk(work, 'newest', ['--config', config]);
    assert.deepEqual(await under('n-release'), ['n-release/web:1.1.0', 'n-release/web:1.2.0']);
    assert.deepEqual(await under('n-semver'), ['n-semver/web:1.2.0', 'n-semver/web:2.0.0-rc1']);
    // 1.1.0 (February) is newer than 1.2.0 (January 15th) by creation time.
    assert.deepEqual(await under('n-created'), ['n-created/web:1.1.0', 'n-created/web:2.0.0-rc1', 'n-created/web:latest']);
    await assertDigests(dest.host, { 'n-created/web:latest': await digestOf('apps/web', 'latest') });
  });

  test('a platform filter copies a subset index of the chosen platforms; platforms: all keeps the digest', async () => {
    const config = await file(
      work,
      'platforms.yaml',
      `${registries}
sync:
  - from: ${source.host}/multi/app
    platforms: [linux/arm64, linux/s390x]
    to: {registry: "${dest.host}", namespace: plat}
  - from: ${source.host}/multi/app
    platforms: all
    to: {registry: "${dest.host}", namespace: plat-all}
`,
    );
    await syncOk(work, 'platforms', ['--config', config]);
    const built = await store.image('multi/app', 'v1');
    const want = built.images.filter((i) => i.platform.architecture !== 'amd64').map((i) => i.manifest.digest).sort();
    const index = (await skopeoInspectRaw(`docker://${dest.host}/plat/multi/app:v1`, { tlsVerify: false })) as { manifests: Array<{ digest: string; platform?: { architecture: string } }> };
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), want, 'linux/arm64 matched the arm64/v8 entry; amd64 was left out');
    for (const d of want) assert.equal(await skopeoInspectDigest(`docker://${dest.host}/plat/multi/app@${d}`, { tlsVerify: false }), d);
    await assertDigests(dest.host, { 'plat-all/multi/app:v1': built.top.digest });
  });

  test('flatten levels -1, 0, 1, 2, 3 under a namespace, to several destinations at once', async () => {
    const level = (ns: string, n: number): string => `{registry: "${dest.host}", namespace: ${ns}, flatten: ${n}}`;
    const config = await file(
      work,
      'flatten.yaml',
      `${registries}
sync:
  - from: ${source.host}/a/b/c/image
    to: [${level('fm1', -1)}, ${level('f0', 0)}, ${level('f1', 1)}, ${level('f2', 2)}, ${level('f3', 3)}]
`,
    );
    const { report } = await syncOk(work, 'flatten', ['--config', config]);
    assert.equal(report.totals.copied, 5);
    const all = (await contents(dest.url)).filter((n) => /^f(m1|\d)\//.test(n));
    assert.deepEqual(all, ['f0/a/b/c/image:1', 'f1/b/c/image:1', 'f2/c/image:1', 'f3/image:1', 'fm1/image:1']);
    await assertDigests(dest.host, { 'f2/c/image:1': await digestOf('a/b/c/image', '1') });
  });

  test('a flatten level deeper than the source path fails before anything is copied, naming file:line', async () => {
    const config = await file(
      work,
      'too-deep.yaml',
      `${registries}
sync:
  - from: ${source.host}/a/b/c/image
    to: {registry: "${dest.host}", namespace: deep-ok, flatten: 1}
  - from: ${source.host}/base/alpine
    to: {registry: "${dest.host}", namespace: deep, flatten: 3}
`,
    );
    const run = await runFerry(['sync', '--config', config]);
    assert.notEqual(run.code, 0, explain(run));
    assert.match(run.stderr, /too-deep\.yaml:1[01]\b/, 'names the rule');
    assert.match(run.stderr, /flatten/);
    assert.doesNotMatch(run.stderr, /^\s+at /m);
    assert.deepEqual(await under('deep-ok'), [], 'the valid rule did not run either');
    assert.deepEqual(await under('deep'), []);
  });
});
