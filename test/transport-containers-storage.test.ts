import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { copy } from '../src/api/copy.ts';
import { inspect, inspectConfig } from '../src/api/inspect.ts';
import { isFerryError } from '../src/errors.ts';
import { openImage } from '../src/transports/open-image.ts';
import { repositoryContract } from './fixtures/repository-contract.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { suiteHooks } from './helpers/cleanup.ts';
import { requirePeer } from './helpers/peers.ts';
import { podmanStore, type PodmanStore } from './helpers/podman.ts';
import { startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeo, skopeoCopy } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { configIdentity, sha256, sourceLayout, type SourceLayout } from './fixtures/transport.ts';
import { syntheticRepository } from '../src/testing/synthetic.ts';

/**
 * containers-storage: against real Podman 4 (Debian's podman) on a private
 * vfs store in a temp dir (see helpers/podman.ts), with podman's own CLI and
 * skopeo's containers-storage: transport as independent peers. ferry reaches
 * the store through a `podman system service` it starts itself, or the one
 * CONTAINER_HOST names.
 */

const skip = requirePeer('podman', 'setpriv', 'skopeo', 'docker-registry');
/** skopeo's flag for the plain-HTTP test registry. */
const INSECURE = ['--tls-verify=false'];

describe('containers-storage: transport', { skip }, () => {
  const hooks = suiteHooks();
  let store: PodmanStore;
  let registry: RunningRegistry;
  let src: SourceLayout;
  let identity: { configDigest: string; diffIds: string[] };
  const ref = (name: string): string => `containers-storage:${store.spec}${name}`;
  const access = (): { env: NodeJS.ProcessEnv } => ({ env: { ...process.env, ...store.env, CONTAINER_HOST: undefined } });
  const podmanId = async (name: string): Promise<string> => {
    const run = await store.podman(['image', 'inspect', '--format', '{{.Id}}', name]);
    assert.equal(run.code, 0, run.stderr);
    return `sha256:${run.stdout.toString().trim()}`;
  };

  before(async () => {
    [store, registry, src] = await Promise.all([podmanStore(hooks), startRegistry({ t: hooks }), sourceLayout(hooks)]);
    identity = await configIdentity(src.single);
  });

  it('an image ferry writes is listed by podman images, with the source config digest as its ID', async () => {
    await copy(src.single, ref('ferry/app:1'), { dest: access() });
    const listed = await store.podman(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--no-trunc']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout.toString(), new RegExp(`^docker\\.io/ferry/app:1 ${identity.configDigest}$`, 'm'));
    assert.equal(await podmanId('docker.io/ferry/app:1'), identity.configDigest);
    // gzip layers enter as they are; Podman stores the same image.
    await copy(src.gzip, ref('ferry/gz:1'), { dest: access() });
    assert.equal(await podmanId('docker.io/ferry/gz:1'), identity.configDigest);
    // skopeo, reading the store itself (no Podman in between), agrees.
    const config = await skopeo(['inspect', '--config', '--raw', ref('ferry/app:1')], { env: store.env });
    assert.equal(sha256(config.stdout), identity.configDigest);
  });

  it('an image podman pulled is read by ferry and pushed to a registry with its config digest', async () => {
    const pulled = syntheticRepository([{ name: 'pulled', tag: '3', layers: [150_000, 250_000] }]);
    await seedRegistry(registry.host, pulled, ['3']);
    const pull = await store.podman(['pull', '--tls-verify=false', '-q', `${registry.host}/pulled:3`]);
    assert.equal(pull.code, 0, pull.stderr);
    const expected = await configIdentity(`docker://${registry.host}/pulled:3`, INSECURE);
    assert.equal(await podmanId(`${registry.host}/pulled:3`), expected.configDigest);

    const described = await inspect(ref(`${registry.host}/pulled:3`), { access: access() });
    assert.deepEqual(described.Layers, expected.diffIds, 'layers leave the store uncompressed, named by their diff_ids');
    assert.equal(described.Name, `${registry.host}/pulled`);
    const run = await runFerry(['copy', '--dest-tls-verify=false', ref(`${registry.host}/pulled:3`), `docker://${registry.host}/pushed:3`], { env: store.env });
    assert.equal(run.code, 0, explain(run));
    assert.equal((await configIdentity(`docker://${registry.host}/pushed:3`, INSECURE)).configDigest, expected.configDigest);
    // By image ID, as podman images --no-trunc shows it.
    const byId = await inspectConfig(ref(expected.configDigest.slice('sha256:'.length)), { access: access() });
    assert.equal(sha256(byId), expected.configDigest);
  });

  it('skopeo writes, ferry reads: same config digest and diff_ids', async () => {
    await skopeoCopy(src.single, ref('skopeo/app:1'), [], { env: store.env });
    const config = await inspectConfig(ref('skopeo/app:1'), { access: access() });
    assert.equal(sha256(config), identity.configDigest);
    assert.deepEqual((await inspect(ref('skopeo/app:1'), { access: access() })).Layers, identity.diffIds);
  });

  it('refusals and errors: missing image exits 2, --all and --preserve-digests, a store with CONTAINER_HOST', async () => {
    const work = await tempDir('ferry-storage-errors', hooks);
    const missing = await runFerry(['inspect', ref('ferry/nope:1')], { env: store.env });
    assert.equal(missing.code, 2, explain(missing));
    assert.match(missing.stderr, /no such image in the containers-storage store \[vfs@/);
    assert.match(missing.stderr, /hint: podman images lists what the store has; an image Podman built is named localhost\/NAME, e\.g\. containers-storage:localhost\/ferry\/nope:1/);
    await assert.rejects(copy(src.multi, ref('ferry/multi:1'), { all: true, dest: access() }), (e) => isFerryError(e, 'UNSUPPORTED'));
    await assert.rejects(copy(src.single, ref('ferry/keep:1'), { preserveDigests: true, dest: access() }), (e) => isFerryError(e, 'DIGEST_CHANGE'));
    assert.notEqual((await store.podman(['image', 'exists', 'docker.io/ferry/multi:1'])).code, 0);

    const both = await runFerry(['inspect', ref('ferry/app:1')], { env: { ...store.env, CONTAINER_HOST: 'unix:///nonexistent.sock' } });
    assert.equal(both.code, 2, explain(both));
    assert.match(both.stderr, /cannot be used with CONTAINER_HOST/);
    // A store podman cannot open: the service's own words reach the user.
    await writeFile(join(work, 'not-a-dir'), 'x');
    // (An empty CONTAINER_HOST means none, and must not turn the private service into a podman-remote client.)
    const broken = await runFerry(['inspect', `containers-storage:[vfs@${work}/not-a-dir/root+${work}/run]app:1`], { env: { ...store.env, CONTAINER_HOST: '' } });
    assert.equal(broken.code, 1, explain(broken));
    assert.match(broken.stderr, /podman system service exited at start \(125\): .*not-a-dir: not a directory/);
  });

  it('CONTAINER_HOST: a running Podman service is used as it is', async () => {
    const host = await store.service(hooks);
    const env = { ...store.env, CONTAINER_HOST: host };
    const run = await runFerry(['copy', src.single, 'containers-storage:ferry/remote:1'], { env });
    assert.equal(run.code, 0, explain(run));
    assert.equal(await podmanId('docker.io/ferry/remote:1'), identity.configDigest);
  });

  it('sync: every tag of a store repository to a registry (ferry YAML), then nothing to do', async () => {
    await copy(src.single, ref('ferry/many:1'), { dest: access() });
    assert.equal((await store.podman(['tag', 'docker.io/ferry/many:1', 'docker.io/ferry/many:2'])).code, 0);
    const work = await tempDir('ferry-storage-sync', hooks);
    const config = join(work, 'ferry.yaml');
    await writeFile(config, [
      'registries:',
      `  ${registry.host}: { tls-verify: false }`,
      'sync:',
      `  - from: ${ref('ferry/many')}`,
      `    to: ${registry.host}/mirror`,
      '',
    ].join('\n'));
    const first = await runFerry(['sync', '--config', config], { env: store.env });
    assert.equal(first.code, 0, explain(first));
    assert.match(first.stderr, /Plan: 2 images: 2 to copy/);
    for (const tag of ['1', '2']) {
      assert.equal((await configIdentity(`docker://${registry.host}/mirror/ferry/many:${tag}`, INSECURE)).configDigest, identity.configDigest);
    }
    const again = await runFerry(['sync', '--config', config], { env: store.env });
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stderr, /2 already up to date/);
  });

  // The Repository contract every transport keeps, against this store.
  let fresh = 0;
  repositoryContract({
    name: 'containers-storage',
    readsWhileWriting: false,
    namesImages: false,
    async fresh() {
      const image = ref(`contract/app-${++fresh}:1.0`);
      return {
        destination: () => openImage(image, { role: 'destination', access: access() }),
        source: () => openImage(image, { role: 'source', access: access() }),
      };
    },
  });
});
