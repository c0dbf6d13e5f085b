import { after, before } from 'node:test';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { openImage } from '../src/transports/open-image.ts';
import { openRegistryRepository } from '../src/transports/registry/open-registry.ts';
import { RegistryPool } from '../src/transports/registry/registry-pool.ts';
import { layoutRepository, openLayoutStore } from '../src/transports/layout/index.ts';
import { repositoryContract } from './fixtures/repository-contract.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * Every Repository implementation runs the one contract
 * (test/fixtures/repository-contract.ts): registries (Debian's distribution
 * and ferry's own server, through the same client), OCI layouts, dir:, and
 * both archives. docker-daemon: and containers-storage: run it in their own
 * files, beside the daemon and the Podman store those start.
 */

let work: string;
let distribution: RunningRegistry | undefined;
let ferryServe: RunningServer | undefined;
let fresh = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++fresh}`;
const needsRegistry = requirePeer('docker-registry');

before(async () => {
  work = await tempDir('ferry-contract');
  if (!needsRegistry) distribution = await startRegistry();
  ferryServe = await startServer({ addr: '127.0.0.1:0', storage: join(work, 'serve'), fsync: false });
});

after(async () => {
  await distribution?.stop();
  await ferryServe?.close();
  if (work) await removeTempDir(work);
});

const access = { tlsVerify: false };

for (const [name, host, skip] of [
  ['registry (distribution)', () => distribution!.host, needsRegistry],
  ['registry (ferry serve)', () => ferryServe!.host, false],
] as const) {
  repositoryContract({
    name,
    skip,
    readsWhileWriting: true,
    namesImages: true,
    async fresh() {
      const ref = `docker://${host()}/contract/${unique('repo')}:1.0`;
      return {
        destination: () => openImage(ref, { role: 'destination', access }),
        source: () => openImage(ref, { role: 'source', access }),
      };
    },
    async sibling(destination) {
      const pool = new RegistryPool();
      const repo = await openRegistryRepository(pool, host(), `${destination.repository.repository}-sibling`, access);
      return { ...repo, blobMount: repo.blobMount.bind(repo), blobHead: repo.blobHead.bind(repo), close: () => pool.close() } as typeof repo;
    },
  });
}

repositoryContract({
  name: 'OCI layout',
  readsWhileWriting: true,
  namesImages: true,
  async fresh() {
    const ref = `oci:${join(work, unique('layout'))}:contract/app:1.0`;
    return {
      destination: () => openImage(ref, { role: 'destination' }),
      source: () => openImage(ref, { role: 'source' }),
    };
  },
  async sibling(destination) {
    const store = await openLayoutStore(destination.display.split(':')[1]!, { create: false });
    return layoutRepository(store, 'contract/sibling');
  },
});

repositoryContract({
  name: 'dir',
  // Blobs are, the manifests only once committed.
  readsWhileWriting: false,
  namesImages: false,
  async fresh() {
    const ref = `dir:${join(work, unique('dir'))}`;
    return {
      destination: () => openImage(ref, { role: 'destination' }),
      source: () => openImage(ref, { role: 'source' }),
    };
  },
});

for (const transport of ['oci-archive', 'docker-archive'] as const) {
  repositoryContract({
    name: transport,
    readsWhileWriting: false,
    namesImages: transport === 'oci-archive',
    async fresh() {
      const path = join(work, `${unique(transport)}.tar`);
      return {
        destination: () => openImage(`${transport}:${path}:contract/app:1.0`, { role: 'destination' }),
        source: () => openImage(`${transport}:${path}:contract/app:1.0`, { role: 'source' }),
      };
    },
  });
}

repositoryContract({
  name: 'oc-disk (oc image mirror --dir)',
  readsWhileWriting: true,
  namesImages: true,
  async fresh() {
    const ref = `oc-disk:${join(work, unique('oc-disk'))}:contract/app:1.0`;
    return {
      destination: () => openImage(ref, { role: 'destination' }),
      source: () => openImage(ref, { role: 'source' }),
    };
  },
  async sibling(destination) {
    return (await openImage(destination.display.replace(/:contract\/app:1\.0$/, ':contract/sibling'), { role: 'destination' })).repository;
  },
});
