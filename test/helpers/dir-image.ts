import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseManifest } from '../../src/oci/manifest.ts';
import type { Repository } from '../../src/repository/repository.ts';

/**
 * Writes one image (every platform of an index) in the layout of skopeo's
 * `dir:` transport: `manifest.json` for the top manifest, `<hex>.manifest.json`
 * for each platform's, blobs as `<hex>`, and a `version` file. Unlike an OCI
 * layout, skopeo reads Docker media types from it, so it can seed registries
 * with both flavours. Independent of ferry's own dir transport on purpose.
 */
export async function writeDirImage(source: Repository, dir: string, reference: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const signal = options.signal;
  await mkdir(dir, { recursive: true });
  const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);
  const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

  const writeImage = async (ref: string, top: boolean): Promise<void> => {
    const raw = await source.manifestGet(ref, { signal });
    const parsed = parseManifest(raw.bytes, raw.mediaType, `${source.display}@${ref}`);
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) await writeImage(child.digest, false);
    } else {
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
        const path = join(dir, hexOf(d.digest));
        if (await exists(path)) continue;
        await pipeline(await source.blobGet(d, { signal }), createWriteStream(`${path}.partial`), signal ? { signal } : {});
        await rename(`${path}.partial`, path);
      }
    }
    await writeFile(join(dir, top ? 'manifest.json' : `${hexOf(raw.digest)}.manifest.json`), raw.bytes);
  };

  await writeImage(reference, true);
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
}
