import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { copyImage } from '../src/copy/copy-image.ts';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { RegistryPool } from '../src/transports/registry/registry-pool.ts';
import { RegistryRepository } from '../src/transports/registry/registry-repository.ts';
import type { AccessOptions } from '../src/repository/access.ts';
import type { Repository } from '../src/repository/repository.ts';
import { requirePeer } from './helpers/peers.ts';
import { tempDir } from './helpers/tmp.ts';
import { makeIndex } from './fixtures/layout-image.ts';
import { layoutWithImage, startTestServer } from './fixtures/server.ts';

function target(repository: Repository, reference: string) {
  return { repository, reference, display: `${repository.display}:${reference}` };
}

async function roundTrip(t: { after(fn: () => unknown): void }, access: AccessOptions, htpasswd?: string): Promise<void> {
  const server = await startTestServer(t, htpasswd === undefined ? {} : { htpasswd });
  const src = await tempDir('ferry-client-src', t);
  const multi = await makeIndex('ferry-client', ['amd64', 'arm64']);
  const srcStore = await layoutWithImage(src, 'x', 'unused', ...multi.images);
  const srcRepo = layoutRepository(srcStore, 'x');
  await srcRepo.manifestPut('multi', multi.index);

  const pool = new RegistryPool();
  t.after(() => pool.close());
  const client = await pool.client(server.host, access);
  const pushed = await copyImage({ source: target(srcRepo, 'multi'), destination: target(new RegistryRepository(client, 'ns/app', { ownsClient: false }), 'v1'), instances: { mode: 'all' } });
  assert.equal(pushed.digest, multi.index.digest);

  const back = await openLayoutStore(await tempDir('ferry-client-back', t), { create: true });
  const pulled = await copyImage({ source: target(new RegistryRepository(client, 'ns/app', { ownsClient: false }), 'v1'), destination: target(layoutRepository(back, 'ns/app'), 'v1'), instances: { mode: 'all' } });
  assert.equal(pulled.digest, multi.index.digest);
  assert.equal((await layoutRepository(back, 'ns/app').manifestGet('v1')).digest, multi.index.digest);
  assert.deepEqual(await new RegistryRepository(client, 'ns/app', { ownsClient: false }).tagList(), ['v1']);
}

test("ferry's own registry client pushes and pulls a multi-arch image", async (t) => {
  await roundTrip(t, { tlsVerify: false, noCreds: true });
});

test("ferry's own registry client authenticates with Basic credentials", {
  skip: requirePeer('htpasswd'),
}, async (t) => {
  const dir = await tempDir('ferry-client-auth', t);
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, (await promisify(execFile)('htpasswd', ['-Bbn', 'bob', 'hunter2-pass'])).stdout);
  await roundTrip(t, { tlsVerify: false, creds: 'bob:hunter2-pass' }, htpasswd);
});
