import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type BuiltImage, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * What accompanies a mirrored image on a registry without the referrers API
 * (Debian's distribution 2.8): cosign's `sha256-<hex>.sig`, `.att` and
 * `.sbom` tags and the referrers-fallback tag `sha256-<hex>` (an index).
 * Each is found without being listed, stored, and pushed inside with its
 * digest; a companion of an image that is not mirrored stays behind.
 */

const skip = requirePeer('docker-registry', 'skopeo');

describe('mirror companions', { skip }, () => {
  let source: RunningRegistry;
  let inside: RunningRegistry;
  let work: string;
  let app: BuiltImage;
  /** Companion tag → the digest seeded under it. */
  const companions = new Map<string, string>();
  let strayTag: string;

  before(async () => {
    [source, inside, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-mirror-companions')]);
    const images = syntheticStore([
      { name: 'team/app', tag: '1', layers: [8 * 1024] },
      { name: 'team/app', tag: '2', layers: [8 * 1024] },
    ]);
    await seedRegistry(source.host, images.repository('team/app'), ['1', '2']);
    app = await images.image('team/app', '1');
    const hex = app.top.digest.slice('sha256:'.length);
    const other = (await images.image('team/app', '2')).top.digest.slice('sha256:'.length);
    strayTag = `sha256-${other}.sig`;
    const specs: SyntheticImageSpec[] = [
      ...['sig', 'att', 'sbom'].map((kind) => ({ name: 'team/app', tag: `sha256-${hex}.${kind}`, layers: [2048], seed: kind })),
      // The referrers-fallback tag holds an index.
      { name: 'team/app', tag: `sha256-${hex}`, layers: [2048], seed: 'referrers', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] },
      { name: 'team/app', tag: strayTag, layers: [2048], seed: 'stray' },
    ];
    const extras = syntheticStore(specs);
    await seedRegistry(source.host, extras.repository('team/app'), specs.map((s) => s.tag));
    for (const s of specs.slice(0, 4)) companions.set(s.tag, (await extras.image(s.name, s.tag)).top.digest);
  });

  after(async () => {
    await Promise.all([source?.stop(), inside?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('.sig, .att, .sbom and the referrers-fallback index travel with the image, to disk and inside', async () => {
    const config = join(work, 'mirror.yaml');
    await writeFile(config, `${source.host}:\n  tls-verify: false\n  images:\n    team/app: ["1"]\n`);
    const dir = join(work, 'mirror');
    const toDisk = await runFerry(['mirror', '--config', config, '--to-dir', dir]);
    assert.equal(toDisk.code, 0, explain(toDisk));
    const store = await openLayoutStore(join(dir, 'store'), { create: false });
    const names = (await store.listEntries()).map((e) => e.annotations?.['org.opencontainers.image.ref.name']).filter((n) => n !== undefined).sort();
    assert.deepEqual(names, ['team/app:1', ...[...companions.keys()].map((t) => `team/app:${t}`)].sort(), 'the image and its four companions, and nothing else');
    assert.ok(!names.includes(`team/app:${strayTag}`), 'the companion of an image not mirrored stays behind');
    for (const [tag, digest] of companions) assert.equal(await skopeoInspectDigest(`oci:${join(dir, 'store')}:team/app:${tag}`), digest, tag);

    const push = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false']);
    assert.equal(push.code, 0, explain(push));
    assert.equal(await skopeoInspectDigest(`docker://${inside.host}/mirror/team/app:1`, { tlsVerify: false }), app.top.digest);
    for (const [tag, digest] of companions) {
      assert.equal(await skopeoInspectDigest(`docker://${inside.host}/mirror/team/app:${tag}`, { tlsVerify: false }), digest, `${tag} pushed with its digest`);
    }
    const stray = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${inside.host}/mirror/team/app:${strayTag}`]);
    assert.notEqual(stray.code, 0);
  });
});
