/**
 * `npm run demo`: generates a few synthetic images, mirrors them into an OCI
 * layout with the library, then drives the `ferry` CLI through its
 * transports and prints every step. Nothing but this checkout is needed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyImage } from '../src/copy/copy-image.ts';
import { openImage } from '../src/transports/open.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';

const ferryBin = join(import.meta.dirname, '..', 'bin', 'ferry');
const MiB = 1024 * 1024;

function ferry(...args: string[]): string {
  console.log(`\n$ ferry ${args.join(' ')}`);
  const out = execFileSync(ferryBin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.trim() !== '') console.log(out.trimEnd());
  return out;
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
  ferry('inspect', '--no-tags', `oci:${layout}:demo/web:1.1`);
  console.log('\n2. Copying between transports: layout → layout, one platform of the multi-platform image');
  ferry('copy', '--platform', 'linux/arm64', `oci:${layout}:demo/tool:2.0`, `oci:${join(work, 'arm64-only')}:tool:2.0`);
  ferry('inspect', '--no-tags', `oci:${join(work, 'arm64-only')}:tool:2.0`);
  console.log(`\nDone. Everything above ran from this checkout; ${work} is removed now.`);
} finally {
  await rm(work, { recursive: true, force: true });
}
