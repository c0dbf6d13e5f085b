import type { Descriptor } from '../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest, type Digest } from '../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../oci/manifest.ts';
import { MANIFEST_TYPES, baseMediaType } from '../oci/media-types.ts';
import { withTaggedEntry, withUntaggedEntry, withoutDigest, withoutTag, withoutUntagged } from '../transports/layout/layout-entries.ts';
import { isValidTag } from '../transports/layout/layout-names.ts';
import { readSmallBody, sendEmpty, type RequestContext } from './http-util.ts';
import { summaryOf } from './manifest-summary.ts';
import { RegistryError } from './registry-error.ts';

/** A manifest reference: a digest, or a tag; anything else is a 400. */
export function checkReference(reference: string): { digest: Digest } | { tag: string } {
  if (isDigest(reference)) return { digest: reference };
  if (reference.includes(':')) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest "${reference}"`);
  if (!isValidTag(reference)) throw new RegistryError(400, 'MANIFEST_INVALID', `invalid tag "${reference}"`);
  return { tag: reference };
}

async function notFound(ctx: RequestContext, name: string, reference: string): Promise<RegistryError> {
  if (!(await ctx.storage.repositoryExists(name))) return new RegistryError(404, 'NAME_UNKNOWN', `repository ${name} not found`, { detail: { name } });
  return new RegistryError(404, 'MANIFEST_UNKNOWN', `manifest ${name}:${reference} not found`, { detail: { reference } });
}

/** GET/HEAD a manifest by tag or digest, with its stored media type. */
export async function getManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  const { storage } = ctx;
  const found: Descriptor | undefined = 'digest' in ref ? await storage.manifestByDigest(name, ref.digest) : await storage.resolveTag(name, ref.tag);
  const size = found && (await storage.store.blobSize(found.digest));
  if (!found || size === undefined) throw await notFound(ctx, name, reference);
  const headers = { 'Content-Type': found.mediaType, 'Docker-Content-Digest': found.digest, ETag: `"${found.digest}"` };
  if (ctx.head) {
    ctx.res.writeHead(200, { ...headers, 'Content-Length': size });
    ctx.res.end();
    return;
  }
  const bytes = await storage.store.readBlob(found.digest, { maxBytes: MAX_MANIFEST_BYTES, signal: ctx.signal });
  if (digestOf(bytes, digestAlgorithm(found.digest)) !== found.digest) {
    throw new RegistryError(500, 'MANIFEST_UNKNOWN', `stored manifest ${found.digest} is corrupt`);
  }
  ctx.res.writeHead(200, { ...headers, 'Content-Length': bytes.byteLength });
  ctx.res.end(bytes);
}

/**
 * PUT a manifest: size-capped, parsed, digest checked against a digest
 * reference, every referenced blob and child manifest present; then the bytes
 * are stored and index.json records the tag (or an untagged entry of the
 * repository for a push by digest). A tagged index absorbs the untagged
 * entries of its children, which it now keeps reachable.
 */
export async function putManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  const bytes = await readSmallBody(ctx.req, MAX_MANIFEST_BYTES, 'manifest');
  const contentType = ctx.req.headers['content-type'];
  const parsed = parseManifest(bytes, contentType, `${name}:${reference}`);
  const declared = (parsed.kind === 'index' ? parsed.index : parsed.manifest).mediaType;
  const header = contentType === undefined ? undefined : baseMediaType(contentType);
  if (declared !== undefined && header !== undefined && MANIFEST_TYPES.includes(header) && header !== declared) {
    throw new RegistryError(400, 'MANIFEST_INVALID', `Content-Type ${header} differs from the manifest's mediaType ${declared}`);
  }
  const digest = digestOf(bytes, 'digest' in ref ? digestAlgorithm(ref.digest) : 'sha256');
  if ('digest' in ref && ref.digest !== digest) {
    throw new RegistryError(400, 'DIGEST_INVALID', `manifest hashes to ${digest}, not ${ref.digest}`, { detail: { digest: ref.digest } });
  }
  const { store } = ctx.storage;
  // Foreign layers (with urls) are fetched elsewhere by design, so they need not be here.
  const needed = parsed.kind === 'index' ? parsed.index.manifests : [parsed.manifest.config, ...parsed.manifest.layers].filter((d) => !d.urls?.length);
  for (const d of needed) {
    if (!(await store.hasBlob(d.digest))) {
      const what = parsed.kind === 'index' ? 'manifest' : 'blob';
      throw new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', `${what} ${d.digest} referenced by the manifest is not in the registry; push it first`, { detail: { digest: d.digest } });
    }
  }
  const summary = summaryOf(parsed, bytes.byteLength);
  await store.writeBlobBytes(bytes, digest, { signal: ctx.signal });
  ctx.storage.summaries.remember(digest, summary);
  const entry = { mediaType: parsed.mediaType, digest, size: bytes.byteLength, artifactType: (parsed.kind === 'index' ? parsed.index : parsed.manifest).artifactType };
  await store.updateIndex((entries) => {
    if ('digest' in ref) return withUntaggedEntry(entries, entry, name);
    const tagged = withTaggedEntry(entries, entry, `${name}:${ref.tag}`);
    return withoutUntagged(tagged, name, new Set([digest, ...summary.children])) ?? tagged;
  });
  const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest };
  if (summary.subject !== undefined) headers['OCI-Subject'] = summary.subject;
  sendEmpty(ctx, 201, headers);
}

/** DELETE a tag, or every record of a digest in the repository. */
export async function deleteManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  const { storage } = ctx;
  let changed = false;
  await storage.store.updateIndex((entries) => {
    const next = 'digest' in ref ? withoutDigest(entries, name, ref.digest) : withoutTag(entries, name, ref.tag);
    changed = next !== undefined;
    return next;
  });
  if (changed) {
    sendEmpty(ctx, 202);
    return;
  }
  if ('digest' in ref && (await storage.manifestByDigest(name, ref.digest))) {
    throw new RegistryError(405, 'UNSUPPORTED', `manifest ${ref.digest} is part of an index in ${name}; delete the index instead`);
  }
  throw await notFound(ctx, name, reference);
}
