import { FerryError } from '../../errors.ts';
import { parseImageConfig } from '../../oci/image-config.ts';
import { parseManifest } from '../../oci/manifest.ts';
import { currentPlatform, platformMatches } from '../../oci/platform.ts';
import type { TransportRef } from '../../ref/transport-ref.ts';
import { formatReference } from '../../ref/reference.ts';
import type { Repository } from '../../repository/repository.ts';
import type { AccessOptions } from '../../repository/access.ts';
import { listCatalog } from '../../transports/registry/catalog.ts';
import type { OpenSession } from '../../repository/open-session.ts';
import { sessionPool } from '../../transports/registry/registry-pool.ts';
import { openRegistryRepository } from '../../transports/registry/open-registry.ts';
import { openImage } from '../../transports/open-image.ts';
import { readSmallBlob } from '../../repository/read-small-blob.ts';
import { formatOrigin, type EngineSource, type RegistryOptions, type SourceRule, type SyncSpec } from '../config/sync-spec.ts';
import { formatStorageSpec } from '../../ref/containers-storage-ref.ts';
import { destinationsFor, formatTarget, type TargetImage } from '../select/destination.ts';
import { filterRepositories } from '../select/glob.ts';
import { needsTagList, selectTags } from '../select/select-tags.ts';
import { layoutImageOf, type SourceImage } from '../select/source-image.ts';
import type { AccessCache } from './access-cache.ts';
import { mergeOptions, resolveRegistryOptions } from '../config/registry-options.ts';
import { mapLimited } from '../../util/pool.ts';
import { STATE_TAG } from '../prune/state-tag.ts';

/** One source image with everywhere it goes: a line of the plan before resolution. */
export interface ExpandedImage {
  rule: SourceRule;
  image: SourceImage;
  /** How to open the source (`docker://…` or `oci:…`) and with which access. */
  source: TransportRef;
  sourceAccess: AccessOptions | undefined;
  targets: Array<{ target: TargetImage; ref: TransportRef; display: string; access: AccessOptions | undefined }>;
}

export interface ExpandContext {
  spec: SyncSpec;
  session: OpenSession;
  accessCache: AccessCache;
  /** Command-line overrides applied over every rule's own settings. */
  sourceOverrides: RegistryOptions;
  destinationOverrides: RegistryOptions;
  /**
   * A rule that cannot be expanded (a missing repository, a refused tag
   * listing) is reported here and the other rules go on; the caller decides
   * what the failure means for the run. A cancellation ends the expansion.
   */
  onRuleFailed: (rule: SourceRule, source: string, error: FerryError) => void;
  /** Each registry or layout tag listing made, as it came (the run's signature lookup reuses them). */
  onTagsListed?: ((repository: Repository, tags: readonly string[]) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** Parallel repository listings while expanding (tags, catalog). */
const EXPAND_CONCURRENCY = 8;

/** The creation time of a tag's image (for "newest N by created"). */
async function createdOf(repo: Repository, tag: string, signal: AbortSignal | undefined): Promise<Date | undefined> {
  let raw = await repo.manifestGet(tag, { signal });
  let parsed = parseManifest(raw.bytes, raw.mediaType, `${repo.display}:${tag}`);
  if (parsed.kind === 'index') {
    const want = currentPlatform();
    const entry = parsed.index.manifests.find((d) => platformMatches(d.platform, want)) ?? parsed.index.manifests[0];
    if (!entry) return undefined;
    raw = await repo.manifestGet(entry.digest, { signal });
    parsed = parseManifest(raw.bytes, raw.mediaType, `${repo.display}@${entry.digest}`);
    if (parsed.kind !== 'image') return undefined;
  }
  const config = parseImageConfig(await readSmallBlob(repo, parsed.manifest.config, { signal }), `${repo.display}:${tag}`);
  const date = config.created ? new Date(config.created) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}


function withTargets(ctx: ExpandContext, rule: SourceRule, image: SourceImage, source: TransportRef, sourceAccess: AccessOptions | undefined): ExpandedImage {
  const targets = destinationsFor(rule, image).map((target, i) => {
    const dest = rule.destinations[i]!;
    const access =
      target.transport === 'docker'
        ? ctx.accessCache.access(mergeOptions(resolveRegistryOptions(ctx.spec.registries, target.ref.registry, target.ref.repository, dest.options), ctx.destinationOverrides))
        : undefined;
    return { target, ref: target, display: formatTarget(target), access };
  });
  return { rule, image, source, sourceAccess, targets };
}

async function expandRepository(ctx: ExpandContext, rule: SourceRule, registry: string, repository: string): Promise<ExpandedImage[]> {
  const options = mergeOptions(resolveRegistryOptions(ctx.spec.registries, registry, repository, rule.sourceOptions), ctx.sourceOverrides);
  const access = ctx.accessCache.access(options);
  const repo = await openRegistryRepository(sessionPool(ctx.session), registry, repository, access, '--src-tls-verify');
  const images = await selectImages(ctx, rule, repo, { registry, repository });
  return images.map((image) =>
    withTargets(ctx, rule, image, { transport: 'docker', ref: { registry, repository, ...(image.tag ? { tag: image.tag } : {}), ...(image.digest ? { digest: image.digest } : {}) } }, access),
  );
}

/** The tags of a repository in a local engine, picked like registry tags; each image is opened through its transport. */
async function expandEngine(ctx: ExpandContext, rule: SourceRule, src: EngineSource): Promise<ExpandedImage[]> {
  const { registry, repository } = src;
  const repo = { registry, repository };
  const options = { daemonHost: src.daemonHost, session: ctx.session, signal: ctx.signal };
  // The engine clients load only for a rule that lists an engine's tags.
  const listed = !needsTagList(rule.tags)
    ? new Map<string, Date | undefined>()
    : src.transport === 'docker-daemon'
      ? await (await import('../../transports/docker-daemon/index.ts')).listDockerDaemonTags(repo, options)
      : await (await import('../../transports/containers-storage/index.ts')).listContainersStorageTags(src.store, repo, options);
  // The engine's image list carries creation times, so "newest by created" needs no config reads.
  const tags = await selectTags([...listed.keys()], rule.tags, { createdOf: async (tag) => listed.get(tag), signal: ctx.signal });
  const digests = rule.tags.kind === 'explicit' ? rule.tags.digests : [];
  const images: SourceImage[] = [...tags.map((tag) => ({ registry, repository, tag })), ...digests.map((digest) => ({ registry, repository, digest }))];
  return images.map((image) => {
    const ref = { registry, repository, ...(image.tag ? { tag: image.tag } : {}), ...(image.digest ? { digest: image.digest } : {}) };
    const source: TransportRef = src.transport === 'docker-daemon' ? { transport: 'docker-daemon', ref } : { transport: 'containers-storage', store: src.store, ref };
    return withTargets(ctx, rule, image, source, src.daemonHost !== undefined ? { daemonHost: src.daemonHost } : undefined);
  });
}

async function expandOcDisk(ctx: ExpandContext, rule: SourceRule, path: string, repository: string): Promise<ExpandedImage[]> {
  const { repository: repo } = await openImage({ transport: 'oc-disk', path, repository }, { role: 'source', session: ctx.session, signal: ctx.signal });
  const images = await selectImages(ctx, rule, repo, { repository });
  return images.map((image) => withTargets(ctx, rule, image, { transport: 'oc-disk', path, repository, ...(image.tag ? { tag: image.tag } : {}), ...(image.digest ? { digest: image.digest } : {}) }, undefined));
}

/** A listing as it came, told to {@link ExpandContext.onTagsListed}. */
function listedTags(ctx: ExpandContext, repo: Repository, tags: string[]): string[] {
  ctx.onTagsListed?.(repo, tags);
  return tags;
}

/** The images of one repository a rule selects: its tags (listed when the selector needs it) and its digests. */
async function selectImages(ctx: ExpandContext, rule: SourceRule, repo: Repository, base: Pick<SourceImage, 'registry' | 'repository'>): Promise<SourceImage[]> {
  // ferry's prune state is not an image: a mirror of a mirror must not copy it.
  const listed = needsTagList(rule.tags) ? listedTags(ctx, repo, await repo.tagList({ signal: ctx.signal })).filter((t) => t !== STATE_TAG) : [];
  const tags = await selectTags(listed, rule.tags, { createdOf: (tag) => createdOf(repo, tag, ctx.signal), signal: ctx.signal });
  const digests = rule.tags.kind === 'explicit' ? rule.tags.digests : [];
  return [...tags.map((tag) => ({ ...base, tag })), ...digests.map((digest) => ({ ...base, digest }))];
}

async function expandLayout(ctx: ExpandContext, rule: SourceRule, path: string, repository: string | undefined): Promise<ExpandedImage[]> {
  const { repository: repo } = await openImage({ transport: 'oci', path }, { role: 'source', session: ctx.session, signal: ctx.signal });
  const names = listedTags(ctx, repo, await repo.tagList({ signal: ctx.signal }));
  const byRepository = new Map<string, Map<string, SourceImage>>();
  for (const name of names) {
    const image = layoutImageOf({ kind: 'oci-layout', path, repository }, name);
    if (!image) continue;
    const tags = byRepository.get(image.repository) ?? new Map<string, SourceImage>();
    tags.set(image.tag!, image);
    byRepository.set(image.repository, tags);
  }
  const out: ExpandedImage[] = [];
  for (const tags of byRepository.values()) {
    const chosen = await selectTags([...tags.keys()], rule.tags, {
      createdOf: (tag) => createdOf(repo, tags.get(tag)!.refName!, ctx.signal),
      signal: ctx.signal,
    });
    for (const tag of chosen) {
      const image = tags.get(tag);
      if (!image) throw new FerryError('NOT_FOUND', `${formatOrigin(rule.origin)}: oci:${path} has no image named ${tag}`);
      out.push(withTargets(ctx, rule, image, { transport: 'oci', path, name: image.refName }, undefined));
    }
  }
  return out;
}

/**
 * Turns every rule into concrete images: lists tags (and `_catalog` for
 * registry-wide patterns), applies the tag filters and names each image at
 * each destination. Failures name the rule's file and line.
 */
export async function expandSpec(ctx: ExpandContext): Promise<ExpandedImage[]> {
  const jobs: Array<() => Promise<ExpandedImage[]>> = [];
  for (const rule of ctx.spec.sources) {
    const src = rule.source;
    const where = formatOrigin(rule.origin);
    const wrap = (what: string, fn: () => Promise<ExpandedImage[]>) => async () => {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof FerryError)) throw err;
        const failure = new FerryError(err.code, `${where}: ${what}: ${err.message}`, { hint: err.hint, cause: err, http: err.http });
        if (err.code === 'ABORTED') throw failure;
        ctx.onRuleFailed(rule, what, failure);
        return [];
      }
    };
    if (src.kind === 'repository') {
      jobs.push(wrap(formatReference({ registry: src.registry, repository: src.repository }), () => expandRepository(ctx, rule, src.registry, src.repository)));
    } else if (src.kind === 'oci-layout') {
      jobs.push(wrap(`oci:${src.path}`, () => expandLayout(ctx, rule, src.path, src.repository)));
    } else if (src.kind === 'engine') {
      const where = `${src.transport}:${src.store ? formatStorageSpec(src.store) : ''}${formatReference({ registry: src.registry, repository: src.repository })}`;
      jobs.push(wrap(where, () => expandEngine(ctx, rule, src)));
    } else if (src.kind === 'oc-disk') {
      jobs.push(wrap(`oc-disk:${src.path}:${src.repository}`, () => expandOcDisk(ctx, rule, src.path, src.repository)));
    } else {
      jobs.push(
        wrap(`catalog of ${src.registry}`, async () => {
          const options = mergeOptions(resolveRegistryOptions(ctx.spec.registries, src.registry, '', rule.sourceOptions), ctx.sourceOverrides);
          const client = await sessionPool(ctx.session).client(src.registry, ctx.accessCache.access(options), '--src-tls-verify');
          const repos = filterRepositories(await listCatalog(client, { signal: ctx.signal }), src.repositories);
          const nested = await mapLimited(repos, EXPAND_CONCURRENCY, (repository) => expandRepository(ctx, rule, src.registry, repository));
          return nested.flat();
        }),
      );
    }
  }
  const results = await mapLimited(jobs, EXPAND_CONCURRENCY, (job) => job());
  return results.flat();
}
