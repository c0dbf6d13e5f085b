import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { copyImage } from '../src/copy/copy-image.ts';
import { ANNOTATION_SOURCE, type Descriptor } from '../src/oci/descriptor.ts';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { layoutRepository, openLayoutStore, type LayoutStore } from '../src/transports/layout/index.ts';

/** A fake source registry host recorded as the images' source (nothing listens there). */
export const FAKE_SOURCE = 'source.invalid:5000';

/** Small images sharing a base layer: `team/app:1`, `team/app:2`, `team/tool:1`. */
export function sharedSpecs(extra: SyntheticImageSpec[] = []): SyntheticImageSpec[] {
  const base = [{ size: 96 * 1024, seed: 'base' }];
  return [
    { name: 'team/app', tag: '1', layers: [16 * 1024], sharedLayers: base },
    { name: 'team/app', tag: '2', layers: [16 * 1024], sharedLayers: base },
    { name: 'team/tool', tag: '1', layers: [24 * 1024, 8 * 1024], sharedLayers: base },
    ...extra,
  ];
}

/**
 * Copies synthetic images into a layout store as `ferry sync --dest oci`
 * names them (`repo:tag`, with the source recorded), without any registry.
 */
export async function seedStore(dir: string, specs: SyntheticImageSpec[], source = FAKE_SOURCE): Promise<LayoutStore> {
  const store = await openLayoutStore(dir, { create: true });
  const synthetic = syntheticStore(specs);
  for (const spec of specs) {
    await copyImage({
      source: { repository: synthetic.repository(spec.name), reference: spec.tag, display: `synthetic:${spec.name}:${spec.tag}` },
      destination: { repository: layoutRepository(store, ''), reference: `${spec.name}:${spec.tag}`, display: `oci:${dir}` },
      instances: { mode: 'all' },
      annotations: { [ANNOTATION_SOURCE]: `${source}/${spec.name}:${spec.tag}` },
    });
  }
  return store;
}

/** Every file under `dir` (relative paths), recursively. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Sum of the sizes of the regular files under `dir` (what `du --apparent-size` counts). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const rel of await listFiles(dir)) total += (await stat(join(dir, rel))).size;
  return total;
}

const sha256Of = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as const;

/**
 * Stores a signature-like OCI artifact whose `subject` is the given manifest,
 * the way a push by digest leaves it (an untagged entry of `repository`).
 * Returns the artifact's descriptor.
 */
export async function addReferrer(store: LayoutStore, repository: string, subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>): Promise<Descriptor> {
  const empty = Buffer.from('{}');
  const payload = Buffer.from('{"signature":"made up for the test"}');
  await store.writeBlobBytes(empty, sha256Of(empty));
  await store.writeBlobBytes(payload, sha256Of(payload));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.example.signature',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Of(empty), size: 2 },
    layers: [{ mediaType: 'application/vnd.example.signature.v1+json', digest: sha256Of(payload), size: payload.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  }));
  const digest = sha256Of(manifest);
  await layoutRepository(store, repository).manifestPut(digest, { bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest });
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length };
}
