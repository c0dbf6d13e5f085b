import type { Digest } from '../oci/digest.ts';
import { mergeOptions, resolveRegistryOptions } from '../sync/config/registry-options.ts';
import type { SourceRule, SyncSpec } from '../sync/config/sync-spec.ts';
import { AccessCache } from '../sync/engine/access-cache.ts';
import type { SyncOptions, SyncResult } from '../sync/sync.ts';
import { RegistryPool } from '../transports/registry/registry-pool.ts';
import { openRegistryRepository } from '../transports/registry/open-registry.ts';
import { retryPolicy } from '../util/retry.ts';
import { mapLimited } from '../util/pool.ts';

/** Referrers lists asked for at once. */
const REFERRER_CONCURRENCY = 8;

interface Group {
  rule: SourceRule;
  registry: string;
  repository: string;
  digests: Set<Digest>;
}

/**
 * A spec that copies, by digest, what the source registry's referrers API
 * lists for every image the sync copied (signatures, attestations, SBOMs
 * pushed with an OCI `subject`). Registries without the API list nothing
 * here; their referrers travel under the fallback tags (see `signatureSpec`).
 * Undefined when nothing refers to the copied images.
 */
export async function referrerSpec(spec: SyncSpec, result: SyncResult, options: SyncOptions): Promise<SyncSpec | undefined> {
  const failed = new Set(result.report.images.filter((i) => i.status === 'failed').map((i) => `${i.source} ${i.destination}`));
  const groups = new Map<string, Group>();
  for (const item of result.plan) {
    const image = item.expanded.image;
    if (image.registry === undefined || item.digest === undefined || failed.has(`${item.source} ${item.destination}`)) continue;
    const key = `${image.registry}/${image.repository}`;
    const group = groups.get(key) ?? { rule: item.expanded.rule, registry: image.registry, repository: image.repository, digests: new Set<Digest>() };
    groups.set(key, group);
    group.digests.add(item.digest);
  }
  if (groups.size === 0) return undefined;
  const access = new AccessCache(options.access ?? {}, retryPolicy(options.retryTimes));
  const pool = new RegistryPool();
  try {
    const sources = await mapLimited([...groups.values()], REFERRER_CONCURRENCY, async (group) => {
      const settings = mergeOptions(resolveRegistryOptions(spec.registries, group.registry, group.repository, group.rule.sourceOptions), options.sourceOverrides);
      const repo = await openRegistryRepository(pool, group.registry, group.repository, access.access(settings), '--src-tls-verify');
      const found = new Set<Digest>();
      for (const digest of group.digests) {
        for (const d of await repo.referrers(digest, { signal: options.signal })) if (!group.digests.has(d.digest)) found.add(d.digest);
      }
      if (found.size === 0) return undefined;
      const rule: SourceRule = {
        ...group.rule,
        source: { kind: 'repository', registry: group.registry, repository: group.repository },
        tags: { kind: 'explicit', tags: [], digests: [...found].sort() },
        platforms: { kind: 'all' },
      };
      return rule;
    });
    const rules = sources.filter((r): r is SourceRule => r !== undefined);
    return rules.length === 0 ? undefined : { sources: rules, registries: spec.registries, defaults: spec.defaults, warnings: [] };
  } finally {
    await pool.close();
  }
}
