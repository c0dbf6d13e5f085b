import { BlobTracker } from '../../src/copy/blob-tracker.ts';
import { copyImage } from '../../src/copy/copy-image.ts';
import { syntheticStore, type SyntheticImageSpec } from '../../src/testing/synthetic.ts';
import { openImage } from '../../src/transports/open-image.ts';
import { OpenSession } from '../../src/repository/open-session.ts';
import { startRegistry, type RunningRegistry } from '../../test/helpers/registry.ts';
import { removeTempDir } from '../../test/helpers/tmp.ts';
import { dirname } from 'node:path';

/**
 * Registries for benchmarks: Debian's docker-registry started by the test
 * helper, seeded with synthetic images through ferry's library (fast, and no
 * tool under comparison writes its own source), and tags multiplied by plain
 * HTTP PUTs of an existing manifest.
 */

export interface BenchRegistry extends RunningRegistry {
  /** Stops the registry and deletes its storage. */
  dispose(): Promise<void>;
}

/** A fresh, empty registry on a free loopback port. */
export async function freshRegistry(): Promise<BenchRegistry> {
  const registry = await startRegistry();
  return {
    ...registry,
    async dispose() {
      await registry.stop();
      // startRegistry keeps config, log and data together in one temp dir.
      await removeTempDir(dirname(registry.dataDir));
    },
  };
}

async function mapLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Pushes every spec to `registry` as `NAME:TAG`, a few images at a time with
 * one blob tracker, so a shared base is uploaded once and mounted elsewhere.
 * Layer digests are computed once per distinct layer (the synthetic store caches them).
 */
export async function seedImages(registry: RunningRegistry, specs: SyntheticImageSpec[], options: { concurrency?: number } = {}): Promise<void> {
  const store = syntheticStore(specs);
  const session = new OpenSession();
  const tracker = new BlobTracker();
  try {
    // The first image alone, so the shared layers exist before others look for a mount.
    const [first, ...rest] = specs;
    const one = async (spec: SyntheticImageSpec): Promise<void> => {
      const destination = await openImage(`docker://${registry.host}/${spec.name}:${spec.tag}`, { role: 'destination', access: { tlsVerify: false }, session });
      await copyImage({
        source: { repository: store.repository(spec.name), reference: spec.tag, display: `synthetic:${spec.name}:${spec.tag}` },
        destination,
        instances: { mode: 'all' },
        tracker,
      });
    };
    if (first) await one(first);
    await mapLimited(rest, options.concurrency ?? 4, one);
  } finally {
    await session.close();
  }
}

/**
 * Points `tags` of `repository` at the manifest `from` already names, with
 * one GET and then a PUT per tag (the registry stores each tag as a small
 * link file, so thousands take seconds).
 */
export async function addTags(registry: RunningRegistry, repository: string, from: string, tags: readonly string[], options: { concurrency?: number } = {}): Promise<void> {
  const accept = [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
  ].join(', ');
  const got = await fetch(`${registry.url}/v2/${repository}/manifests/${from}`, { headers: { accept } });
  if (!got.ok) throw new Error(`GET ${repository}:${from} from ${registry.host}: HTTP ${got.status}`);
  const contentType = got.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json';
  const body = new Uint8Array(await got.arrayBuffer());
  await mapLimited(tags, options.concurrency ?? 8, async (tag) => {
    const put = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': contentType }, body });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`PUT ${repository}:${tag} on ${registry.host}: HTTP ${put.status}`);
  });
}

/** GET a JSON page and the next page's URL from its `Link` header (distribution caps `n` at 1000 per page). */
async function page<T>(url: string): Promise<{ body: T; next: string | undefined }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  return { body: (await res.json()) as T, next: link === undefined ? undefined : new URL(link, url).href };
}

/** Tags in the registry over all repositories (catalog, then each tag list): what a run actually delivered. */
export async function countTags(registry: RunningRegistry): Promise<number> {
  let total = 0;
  for (let url: string | undefined = `${registry.url}/v2/_catalog?n=1000`; url !== undefined; ) {
    const catalog: { body: { repositories?: string[] }; next: string | undefined } = await page(url);
    for (const repo of catalog.body.repositories ?? []) {
      for (let tagsUrl: string | undefined = `${registry.url}/v2/${repo}/tags/list?n=1000`; tagsUrl !== undefined; ) {
        const tags: { body: { tags?: string[] | null }; next: string | undefined } = await page(tagsUrl);
        total += tags.body.tags?.length ?? 0;
        tagsUrl = tags.next;
      }
    }
    url = catalog.next;
  }
  return total;
}
