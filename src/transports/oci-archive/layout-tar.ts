import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../../errors.ts';
import type { TarFileWriter } from '../../tar/index.ts';

/** Files an OCI layout is made of; the layout store's temp dir and lock are not part of the image. */
const TOP_LEVEL = ['oci-layout', 'index.json'];

/**
 * Adds an OCI layout directory to a tar in the order readers like best:
 * `oci-layout`, `index.json`, then `blobs/<alg>/<hex>` sorted, so the same
 * layout always gives the same archive.
 */
export async function tarLayout(dir: string, tar: TarFileWriter, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  for (const name of TOP_LEVEL) {
    const path = join(dir, name);
    const { size } = await stat(path);
    await tar.addKnownFile(name, size, createReadStream(path), options);
  }
  await tar.addDirectory('blobs', options);
  const algorithms = (await readdir(join(dir, 'blobs'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const algorithm of algorithms) {
    await tar.addDirectory(`blobs/${algorithm}`, options);
    const blobs = (await readdir(join(dir, 'blobs', algorithm), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    for (const hex of blobs) {
      throwIfAborted(options.signal);
      const path = join(dir, 'blobs', algorithm, hex);
      const { size } = await stat(path);
      await tar.addKnownFile(`blobs/${algorithm}/${hex}`, size, createReadStream(path), options);
    }
  }
}
