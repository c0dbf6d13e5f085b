import type { Descriptor } from '../../../oci/descriptor.ts';
import { ANNOTATION_CREATED } from '../../../oci/descriptor.ts';
import type { Digest } from '../../../oci/digest.ts';
import { formatPlatform } from '../../../oci/manifest.ts';
import { compareTagsByVersionDesc } from '../../../ref/tag-version.ts';
import { mapLimited } from '../../../util/pool.ts';
import type { RepositoryListing, StoreListing } from '../../backend/registry-backend.ts';
import type { SignatureVerdict } from '../signature-verifier.ts';
import { attachmentTags, isAttachmentTag, type AttachmentKind } from './attachment-tags.ts';
import type { ManifestFacts, ManifestKind } from './manifest-facts.ts';
import type { UiModel } from './ui-model.ts';

/** Rows built at once; each reads a manifest and a config at most (cached after). */
const ROW_CONCURRENCY = 8;

/** How the tags of a repository are ordered: newest version first, newest created first, or by name. */
export type TagSort = 'semver' | 'date' | 'name';
export const TAG_SORTS: readonly TagSort[] = ['semver', 'date', 'name'];

/** What signs or describes an image: attachment tags and referrers, and the policy's verdict when one is given. */
export interface SignatureStatus {
  tags: Array<{ kind: AttachmentKind; tag: string }>;
  referrers: Descriptor[];
  verdict?: SignatureVerdict | undefined;
}

/** One tag of the repository page. */
export interface TagRow {
  tag: string;
  descriptor: Descriptor;
  kind: ManifestKind | 'unknown';
  artifactType?: string | undefined;
  platforms: string[];
  /** Every blob and manifest of the image counted once; undefined when it could not be read. */
  size?: number | undefined;
  created?: string | undefined;
  signatures: SignatureStatus;
  problem?: string | undefined;
}

/** Created date of a manifest: its config's, the newest of an index's children, else the `org.opencontainers.image.created` annotation. */
async function createdOf(model: UiModel, repository: string, facts: ManifestFacts, children: readonly ManifestFacts[]): Promise<string | undefined> {
  const annotated = facts.annotations?.[ANNOTATION_CREATED];
  if (facts.kind === 'image' && facts.config) return (await model.configs.get(repository, facts.config)).created ?? annotated;
  if (children.length > 0) {
    const dates = await Promise.all(children.map(async (c) => (c.kind === 'image' && c.config ? (await model.configs.get(repository, c.config)).created : undefined)));
    const known = dates.filter((d): d is string => d !== undefined && !Number.isNaN(Date.parse(d)));
    if (known.length > 0) return known.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
  }
  return annotated;
}

/** Facts of a manifest and (for an index) of its children, or a problem. */
async function readTree(model: UiModel, repository: string, digest: Digest): Promise<{ facts: ManifestFacts; children: ManifestFacts[] } | { problem: string }> {
  let facts: ManifestFacts | undefined;
  try {
    facts = await model.facts.get(repository, digest);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  if (!facts) return { problem: `manifest ${digest} is not in the store` };
  if (facts.problem !== undefined) return { problem: facts.problem };
  const children = (await Promise.all(facts.children.map((c) => model.facts.get(repository, c.digest).catch(() => undefined)))).filter((c): c is ManifestFacts => c?.problem === undefined && c !== undefined);
  return { facts, children };
}

/** Unique bytes of a manifest tree: the manifests, configs and layers, each once. */
function treeSize(facts: ManifestFacts, children: readonly ManifestFacts[]): number {
  const blobs = new Map<string, number>();
  for (const f of [facts, ...children]) {
    blobs.set(f.digest, f.size);
    for (const d of [...(f.config ? [f.config] : []), ...f.layers]) blobs.set(d.digest, d.size);
  }
  let total = 0;
  for (const size of blobs.values()) total += size;
  return total;
}

/** Unique bytes of the manifest `digest` and everything under it; undefined when it cannot be read. */
export async function manifestTreeSize(model: UiModel, repository: string, digest: Digest): Promise<number | undefined> {
  const tree = await readTree(model, repository, digest);
  return 'problem' in tree ? undefined : treeSize(tree.facts, tree.children);
}

async function buildRow(model: UiModel, listing: StoreListing, repository: string, repo: RepositoryListing, tag: string, descriptor: Descriptor, subjects: Map<Digest, Descriptor[]>): Promise<TagRow> {
  const signatures: SignatureStatus = {
    tags: attachmentTags(descriptor.digest).filter((a) => repo.tags.has(a.tag)),
    referrers: subjects.get(descriptor.digest) ?? [],
  };
  const tree = await readTree(model, repository, descriptor.digest);
  if ('problem' in tree) return { tag, descriptor, kind: 'unknown', platforms: [], signatures, problem: tree.problem };
  const { facts, children } = tree;
  let platforms: string[] = [];
  if (facts.children.length > 0) platforms = facts.children.map((c) => formatPlatform(c.platform));
  else if (facts.kind === 'image' && facts.config) {
    const platform = (await model.configs.get(repository, facts.config)).platform;
    if (platform) platforms = [formatPlatform(platform)];
  }
  if (signatures.tags.length > 0 || signatures.referrers.length > 0) {
    signatures.verdict = await model.verdict(listing.generation, { repository, tag, digest: descriptor.digest });
  }
  return {
    tag, descriptor, kind: facts.kind, artifactType: facts.artifactType, platforms,
    size: treeSize(facts, children), created: await createdOf(model, repository, facts, children), signatures,
  };
}

/** Newest first by created date; unknown dates last, by name. */
function byDate(created: ReadonlyMap<string, string | undefined>): (a: string, b: string) => number {
  return (a, b) => {
    const da = Date.parse(created.get(a) ?? '');
    const db = Date.parse(created.get(b) ?? '');
    if (!Number.isNaN(da) && !Number.isNaN(db) && da !== db) return db - da;
    if (Number.isNaN(da) !== Number.isNaN(db)) return Number.isNaN(da) ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

/** One page of a repository's tags. */
export interface TagPage {
  rows: TagRow[];
  /** Tags in the repository, attachment tags included. */
  total: number;
  /** First row's position (0-based). */
  offset: number;
}

/**
 * The rows of tags `offset…offset+limit` of `repository` in `sort` order.
 * Attachment tags (`.sig`, referrers fallback) sort after the images they
 * attach to. Only the page's rows are read, except for `date`, which needs
 * every tag's created date (read once, then cached by digest).
 */
export async function tagPage(model: UiModel, listing: StoreListing, repository: string, sort: TagSort, offset: number, limit: number, signal?: AbortSignal): Promise<TagPage | undefined> {
  const repo = listing.repositories.get(repository);
  if (!repo) return undefined;
  const tags = [...repo.tags.keys()];
  const images = tags.filter((t) => !isAttachmentTag(t));
  const attachments = tags.filter((t) => isAttachmentTag(t));
  if (sort === 'semver') images.sort(compareTagsByVersionDesc);
  if (sort === 'date') {
    const created = new Map<string, string | undefined>();
    await mapLimited(images, ROW_CONCURRENCY, async (tag) => {
      const tree = await readTree(model, repository, repo.tags.get(tag)!.digest);
      created.set(tag, 'problem' in tree ? undefined : await createdOf(model, repository, tree.facts, tree.children));
    }, signal);
    images.sort(byDate(created));
  }
  const ordered = [...images, ...attachments];
  const subjects = await model.referrersIn(listing, repository, signal);
  const slice = ordered.slice(offset, offset + limit);
  const rows = await mapLimited(slice, ROW_CONCURRENCY, (tag) => buildRow(model, listing, repository, repo, tag, repo.tags.get(tag)!, subjects), signal);
  return { rows, total: ordered.length, offset };
}
