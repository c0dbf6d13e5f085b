import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../../src/oci/descriptor.ts';
import { ANNOTATION_REF_NAME } from '../../src/oci/descriptor.ts';
import { parseManifest } from '../../src/oci/manifest.ts';
import type { Repository } from '../../src/repository/repository.ts';

/**
 * A deliberately small OCI image layout writer, independent of ferry's layout
 * transport, so tests can hand images to skopeo and umoci without trusting
 * the code under test. Blobs stream to disk; nothing checks digests here —
 * the peers that read the layout do.
 */

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function writeBlob(source: Repository, dir: string, d: Descriptor, signal: AbortSignal | undefined): Promise<void> {
  const [algorithm, hex] = d.digest.split(':') as [string, string];
  const path = join(dir, 'blobs', algorithm, hex);
  if (await exists(path)) return;
  await mkdir(join(dir, 'blobs', algorithm), { recursive: true });
  const partial = `${path}.partial`;
  await pipeline(await source.blobGet(d, { signal }), createWriteStream(partial), signal ? { signal } : {});
  await rename(partial, path);
}

async function writeManifestTree(source: Repository, dir: string, reference: string, signal: AbortSignal | undefined): Promise<Descriptor> {
  const raw = await source.manifestGet(reference, { signal });
  const parsed = parseManifest(raw.bytes, raw.mediaType, `${source.display}@${reference}`);
  if (parsed.kind === 'index') {
    for (const child of parsed.index.manifests) await writeManifestTree(source, dir, child.digest, signal);
  } else {
    for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) await writeBlob(source, dir, d, signal);
  }
  const hex = raw.digest.split(':')[1]!;
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', hex), raw.bytes);
  return { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.byteLength };
}

/**
 * Writes images of `source` (every platform of an index) into an OCI layout at
 * `dir`. A string entry is a tag stored under its own name; `{ name, reference }`
 * stores what `reference` (tag or digest) points at under `name`. Read with
 * `oci:DIR:NAME` (skopeo, OCI media types only) or `DIR:NAME` (umoci).
 */
export async function writeOciLayout(
  source: Repository,
  dir: string,
  entries: Array<string | { name: string; reference: string }>,
  options: { signal?: AbortSignal } = {},
): Promise<Descriptor[]> {
  await mkdir(dir, { recursive: true });
  const manifests: Descriptor[] = [];
  for (const entry of entries) {
    const { name, reference } = typeof entry === 'string' ? { name: entry, reference: entry } : entry;
    const top = await writeManifestTree(source, dir, reference, options.signal);
    manifests.push({ ...top, annotations: { [ANNOTATION_REF_NAME]: name } });
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  return manifests;
}
