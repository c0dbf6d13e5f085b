import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeImage } from './layout-image-fixture.ts';
import { skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * Pushes a tiny distinct image to `docker://HOST/REPOSITORY:TAG` with skopeo
 * (from a hand-written OCI layout) and returns the manifest digest the
 * registry reports for it.
 */
export async function pushTestImage(host: string, repository: string, tag: string, seed: string): Promise<string> {
  const image = await makeImage({ seed, layerBytes: 64 });
  const dir = await tempDir('ferry-k8s-image');
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    for (const blob of [...image.blobs, { bytes: image.manifest.bytes, descriptor: { digest: image.manifest.digest } }]) {
      await writeFile(join(dir, 'blobs', 'sha256', blob.descriptor.digest.slice('sha256:'.length)), blob.bytes);
    }
    const index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.bytes.byteLength,
          annotations: { 'org.opencontainers.image.ref.name': 'img' },
        },
      ],
    };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await skopeoCopy(`oci:${dir}:img`, `docker://${host}/${repository}:${tag}`, ['--preserve-digests'], { dest: { tlsVerify: false } });
  } finally {
    await removeTempDir(dir);
  }
  return skopeoInspectDigest(`docker://${host}/${repository}:${tag}`, { tlsVerify: false });
}
