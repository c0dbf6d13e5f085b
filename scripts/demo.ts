/**
 * `npm run demo`: generates a few synthetic images, mirrors them into an OCI
 * layout with the library, then drives the `ferry` CLI through its
 * transports and prints every step. Nothing but this checkout is needed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyImage } from '../src/copy/copy-image.ts';
import { openImage } from '../src/transports/open-image.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';

const ferryBin = join(import.meta.dirname, '..', 'bin', 'ferry');
const MiB = 1024 * 1024;

function ferry(...args: string[]): string {
  console.log(`\n$ ferry ${args.join(' ')}`);
  const out = execFileSync(ferryBin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.trim() !== '') console.log(out.trimEnd());
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls the registry's /v2/ until it answers, for at most ~10 s. */
async function waitForRegistry(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`ferry serve did not come up at ${url}`);
}

const work = await mkdtemp(join(tmpdir(), 'ferry-demo-'));
try {
  const base = [{ size: 4 * MiB, seed: 'demo-base' }];
  const store = syntheticStore([
    { name: 'demo/web', tag: '1.0', sharedLayers: base, layers: [1 * MiB], labels: { app: 'web' } },
    { name: 'demo/web', tag: '1.1', sharedLayers: base, layers: [1 * MiB + 4096], labels: { app: 'web' } },
    { name: 'demo/tool', tag: '2.0', layers: [512 * 1024], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] },
  ]);
  const layout = join(work, 'mirror');
  console.log(`ferry demo — working in ${work}`);
  console.log('\n1. Generating 3 synthetic images (two share a 4 MiB base layer, one is multi-platform) into one OCI layout');
  for (const [name, tag] of [['demo/web', '1.0'], ['demo/web', '1.1'], ['demo/tool', '2.0']] as const) {
    const destination = await openImage(`oci:${layout}:${name}:${tag}`, { role: 'destination' });
    const result = await copyImage({
      source: { repository: store.repository(name), reference: tag, display: `synthetic:${name}:${tag}` },
      destination,
      instances: { mode: 'all' },
    });
    console.log(`   ${name}:${tag} → ${result.digest} (${result.blobs.uploaded} blobs written, ${result.blobs.exists} shared)`);
  }
  ferry('list-tags', `oci:${layout}`);

  console.log('\n2. Serving a registry with `ferry serve` (its own OCI store) and syncing the layout into it');
  const port = await freePort();
  const registry = `127.0.0.1:${port}`;
  const server = spawn(ferryBin, ['serve', '--addr', registry, '--storage', join(work, 'registry')], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await waitForRegistry(`http://${registry}/v2/`);
    console.log(`   ferry serve listening on ${registry}`);
    ferry('sync', '--src', 'oci', '--dest', 'docker', '--all', '--dest-tls-verify=false', layout, `${registry}/demo`);
    ferry('list-tags', '--tls-verify=false', `docker://${registry}/demo/web`);
    ferry('inspect', '--tls-verify=false', `docker://${registry}/demo/web:1.1`);
    console.log('\n3. Running the same sync again: every image is already there (checked with HEAD requests only)');
    ferry('sync', '--src', 'oci', '--dest', 'docker', '--all', '--dest-tls-verify=false', layout, `${registry}/demo`);
    console.log('\n4. Copying one platform of the multi-platform image back out of the registry into a new layout');
    ferry('copy', '--platform', 'linux/arm64', '--src-tls-verify=false', `docker://${registry}/demo/tool:2.0`, `oci:${join(work, 'arm64-only')}:tool:2.0`);
    ferry('inspect', '--no-tags', `oci:${join(work, 'arm64-only')}:tool:2.0`);
    console.log('\n5. Across an air gap: bundle the layout in small parts, verify the bundle, import it into a new store and check it');
    const bundle = join(work, 'bundle');
    const inside = join(work, 'inside-store');
    ferry('bundle', 'create', '--max-size', '5MiB', layout, bundle);
    ferry('bundle', 'verify', bundle);
    ferry('bundle', 'import', bundle, inside);
    ferry('verify', inside);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  console.log(`\nDone. Everything above ran from this checkout; ${work} is removed now.`);
} finally {
  await rm(work, { recursive: true, force: true });
}
