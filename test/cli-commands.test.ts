import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteImage } from '../src/api/delete.ts';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';

/**
 * Single-image commands and flags the README lists, through `bin/ferry`
 * against Debian's registry, with skopeo as the judge: `inspect --config`,
 * `--no-tags`, `--platform`; `delete` (CLI and library, by tag and by
 * digest); `--creds` on inspect, list-tags and delete.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd');
const USER = 'erin';
const PASSWORD = 'Cmd-pw-a41c-do-not-print';
const creds = `${USER}:${PASSWORD}`;

const store = syntheticStore([
  { name: 'cmd/app', tag: 'v1', layers: [16 * 1024, 8 * 1024] },
  { name: 'cmd/multi', tag: 'v1', layers: [16 * 1024], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] },
]);

describe('single-image commands', { skip }, () => {
  let plain: RunningRegistry;
  let secured: RunningRegistry;
  let proxy: RunningProxy;
  let app: BuiltImage;
  let multi: BuiltImage;
  const ref = (repo: string, tag = 'v1'): string => `docker://${proxy.host}/${repo}:${tag}`;
  const inspect = async (args: string[]): Promise<Record<string, unknown>> => {
    const run = await runFerry(['inspect', '--tls-verify=false', ...args]);
    assert.equal(run.code, 0, explain(run));
    return JSON.parse(run.stdout) as Record<string, unknown>;
  };

  before(async () => {
    [plain, secured] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { [USER]: PASSWORD } })]);
    proxy = await startProxy({ upstream: plain.url });
    await seedRegistry(plain.host, store.repository('cmd/app'), ['v1']);
    await seedRegistry(plain.host, store.repository('cmd/app'), ['v1'], { repository: 'cmd/app-tags' });
    await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${plain.host}/cmd/app-tags:v1`, `docker://${plain.host}/cmd/app-tags:v2`]);
    await seedRegistry(plain.host, store.repository('cmd/multi'), ['v1']);
    await seedRegistry(secured.host, store.repository('cmd/app'), ['v1'], { dest: { tlsVerify: false, creds } });
    [app, multi] = await Promise.all([store.image('cmd/app', 'v1'), store.image('cmd/multi', 'v1')]);
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([plain?.stop(), secured?.stop()]);
  });

  test('inspect --config prints the image configuration skopeo prints', async () => {
    const ours = await inspect(['--config', ref('cmd/app')]);
    const theirs = JSON.parse((await skopeo(['inspect', '--config', '--tls-verify=false', `docker://${plain.host}/cmd/app:v1`])).stdout.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(ours, theirs);
    const config = app.blobs.get(app.images[0]!.config.digest)!;
    assert.ok(config.kind === 'config');
    assert.deepEqual(ours, JSON.parse(config.bytes.toString('utf8')), 'the stored config, parsed');
  });

  test('inspect lists the repository tags; --no-tags skips the tag list request', async () => {
    proxy.reset();
    const listed = await inspect([ref('cmd/app-tags')]);
    assert.deepEqual([...(listed['RepoTags'] as string[])].sort(), ['v1', 'v2']);
    assert.equal(proxy.count('GET tags'), 1);
    proxy.reset();
    const quiet = await inspect(['--no-tags', ref('cmd/app-tags')]);
    assert.deepEqual(quiet['RepoTags'], []);
    assert.equal(proxy.count('GET tags'), 0, 'no tag list was asked for');
    assert.equal(quiet['Digest'], listed['Digest']);
  });

  test('inspect --platform describes that instance of an index, as skopeo --override-arch does', async () => {
    const arm = multi.images.find((i) => i.platform.architecture === 'arm64')!;
    const ours = await inspect(['--platform', 'linux/arm64', ref('cmd/multi')]);
    const theirs = JSON.parse((await skopeo(['--override-arch', 'arm64', '--override-os', 'linux', 'inspect', '--tls-verify=false', `docker://${plain.host}/cmd/multi:v1`])).stdout.toString('utf8')) as Record<string, unknown>;
    for (const field of ['Architecture', 'Os', 'Layers', 'Digest', 'Created']) assert.deepEqual(ours[field], theirs[field], field);
    assert.equal(ours['Architecture'], 'arm64');
    assert.deepEqual(ours['Layers'], arm.layers.map((l) => l.digest));
    const amd = await inspect(['--platform', 'linux/amd64', ref('cmd/multi')]);
    assert.equal(amd['Architecture'], 'amd64');
    const missing = await runFerry(['inspect', '--tls-verify=false', '--platform', 'linux/s390x', ref('cmd/multi')]);
    assert.equal(missing.code, 2, explain(missing));
  });

  test('delete removes a tag (and its manifest), or a manifest by digest; a missing one exits 2', async () => {
    const put = (tag: string) => skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${plain.host}/cmd/app:v1`, `docker://${plain.host}/del/app:${tag}`]);
    await put('by-tag');
    const byTag = await runFerry(['delete', '--tls-verify=false', `docker://${plain.host}/del/app:by-tag`]);
    assert.equal(byTag.code, 0, explain(byTag));
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/del/app:by-tag`])).code, 0, 'the tag is gone');
    await put('by-digest');
    const byDigest = await runFerry(['delete', '--tls-verify=false', `docker://${plain.host}/del/app@${app.top.digest}`]);
    assert.equal(byDigest.code, 0, explain(byDigest));
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/del/app@${app.top.digest}`])).code, 0, 'the manifest is gone');
    const again = await runFerry(['delete', '--tls-verify=false', `docker://${plain.host}/del/app:by-tag`]);
    assert.equal(again.code, 2, explain(again));
    assert.equal(await skopeoInspectDigest(`docker://${plain.host}/cmd/app:v1`, { tlsVerify: false }), app.top.digest, 'the source repository is untouched');
  });

  test('the library deleteImage deletes through the same path', async () => {
    await skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${plain.host}/cmd/app:v1`, `docker://${plain.host}/libdel/app:v1`]);
    await deleteImage(`docker://${plain.host}/libdel/app:v1`, { access: { tlsVerify: false } });
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/libdel/app:v1`])).code, 0);
    await assert.rejects(deleteImage(`docker://${plain.host}/libdel/app:v1`, { access: { tlsVerify: false } }), (err: unknown) => (err as { code?: string }).code === 'NOT_FOUND');
  });

  test('--creds on inspect, list-tags and delete; without it they are refused', async () => {
    const at = `docker://${secured.host}/cmd/app`;
    for (const args of [['inspect', `${at}:v1`], ['list-tags', at]]) {
      const anonymous = await runFerry([args[0]!, '--tls-verify=false', args[1]!]);
      assert.equal(anonymous.code, 1, explain(anonymous));
      assert.match(anonymous.stderr, /requires authentication|401|unauthori[sz]ed/i);
      const given = await runFerry([args[0]!, '--tls-verify=false', '--creds', creds, args[1]!]);
      assert.equal(given.code, 0, explain(given));
      assert.ok(!given.stdout.includes(PASSWORD) && !given.stderr.includes(PASSWORD));
    }
    assert.deepEqual((JSON.parse((await runFerry(['list-tags', '--tls-verify=false', '--creds', creds, at])).stdout) as { Tags: string[] }).Tags, ['v1']);
    const refused = await runFerry(['delete', '--tls-verify=false', `${at}:v1`]);
    assert.equal(refused.code, 1, explain(refused));
    const deleted = await runFerry(['delete', '--tls-verify=false', '--creds', creds, `${at}:v1`]);
    assert.equal(deleted.code, 0, explain(deleted));
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `--creds=${creds}`, `${at}:v1`])).code, 0);
  });
});
