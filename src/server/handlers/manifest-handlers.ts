import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.ts';
import { MANIFEST_TYPES, baseMediaType } from '../../oci/media-types.ts';
import { isValidTag } from '../../transports/layout/layout-names.ts';
import type { ManifestRef } from '../backend/manifest-backend.ts';
import { summaryOf } from '../backend/manifest-summary.ts';
import { readSmallBody, sendEmpty, unsupported, type RequestContext } from '../http-util.ts';
import { RegistryError } from '../registry-error.ts';

/**
 * A manifest reference: a digest or a tag. A malformed digest is 400; a tag
 * that breaks the grammar names nothing (undefined): reads and deletes answer
 * 404, as the conformance suite expects, and a PUT answers 400.
 */
export function checkReference(reference: string): ManifestRef | undefined {
  if (isDigest(reference)) return { digest: reference };
  if (reference.includes(':')) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest "${reference}"`);
  return isValidTag(reference) ? { tag: reference } : undefined;
}

async function notFound(ctx: RequestContext, name: string, reference: string): Promise<RegistryError> {
  if ((await ctx.backend.tags.tags(name, { signal: ctx.signal })) === undefined) {
    return new RegistryError(404, 'NAME_UNKNOWN', `repository ${name} not found`, { detail: { name } });
  }
  return new RegistryError(404, 'MANIFEST_UNKNOWN', `manifest ${name}:${reference} not found`, { detail: { reference } });
}

/** GET/HEAD a manifest by tag or digest, with its stored media type. */
export async function getManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  const { manifests } = ctx.backend;
  const options = { signal: ctx.signal };
  if (ctx.head) {
    const found = ref && (await manifests.stat(name, ref, options));
    if (!found) throw await notFound(ctx, name, reference);
    ctx.res.writeHead(200, { ...manifestHeaders(found), 'Content-Length': found.size });
    ctx.res.end();
    return;
  }
  const found = ref && (await manifests.get(name, ref, options));
  if (!found) throw await notFound(ctx, name, reference);
  ctx.res.writeHead(200, { ...manifestHeaders(found.descriptor), 'Content-Length': found.bytes.byteLength });
  ctx.res.end(found.bytes);
}

function manifestHeaders(d: Descriptor): Record<string, string> {
  return { 'Content-Type': d.mediaType, 'Docker-Content-Digest': d.digest, ETag: `"${d.digest}"` };
}

/**
 * PUT a manifest: size-capped, parsed, digest checked against a digest
 * reference; the backend then checks that every referenced blob and child
 * manifest is stored with the size the manifest claims, and records the tag
 * (or an untagged manifest of the repository for a push by digest).
 */
export async function putManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  if (!ref) throw new RegistryError(400, 'MANIFEST_INVALID', `invalid tag "${reference}"`);
  const { manifests } = ctx.backend;
  if (!manifests.put) throw unsupported('pushing manifests');
  const bytes = await readSmallBody(ctx.req, MAX_MANIFEST_BYTES, 'manifest');
  const contentType = ctx.req.headers['content-type'];
  const parsed = parseManifest(bytes, contentType, `${name}:${reference}`);
  const body = parsed.kind === 'index' ? parsed.index : parsed.manifest;
  const header = contentType === undefined ? undefined : baseMediaType(contentType);
  if (body.mediaType !== undefined && header !== undefined && MANIFEST_TYPES.includes(header) && header !== body.mediaType) {
    throw new RegistryError(400, 'MANIFEST_INVALID', `Content-Type ${header} differs from the manifest's mediaType ${body.mediaType}`);
  }
  const digest = digestOf(bytes, 'digest' in ref ? digestAlgorithm(ref.digest) : 'sha256');
  if ('digest' in ref && ref.digest !== digest) {
    throw new RegistryError(400, 'DIGEST_INVALID', `manifest hashes to ${digest}, not ${ref.digest}`, { detail: { digest: ref.digest } });
  }
  // Foreign layers (with urls) are fetched elsewhere by design, so they need not be here.
  const references = parsed.kind === 'index' ? parsed.index.manifests : [parsed.manifest.config, ...parsed.manifest.layers].filter((d) => !d.urls?.length);
  const summary = summaryOf(parsed, bytes.byteLength);
  const refusal = await manifests.put(name, ref, { bytes, digest, summary, artifactType: body.artifactType, references }, { signal: ctx.signal });
  if (refusal) {
    const { descriptor } = refusal;
    const what = parsed.kind === 'index' ? 'manifest' : 'blob';
    if (refusal.reason === 'missing') {
      throw new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', `${what} ${descriptor.digest} referenced by the manifest is not in the registry; push it first`, { detail: { digest: descriptor.digest } });
    }
    throw new RegistryError(400, 'MANIFEST_INVALID', `the manifest says ${what} ${descriptor.digest} is ${descriptor.size} bytes, but the registry holds it with ${refusal.storedSize}`, {
      detail: { digest: descriptor.digest, size: descriptor.size, storedSize: refusal.storedSize },
    });
  }
  const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest };
  if (summary.subject !== undefined) headers['OCI-Subject'] = summary.subject;
  sendEmpty(ctx, 201, headers);
}

/** DELETE a tag, or every record of a digest in the repository. */
export async function deleteManifest(ctx: RequestContext, name: string, reference: string): Promise<void> {
  const ref = checkReference(reference);
  const { manifests } = ctx.backend;
  if (!manifests.delete) throw unsupported('deleting manifests');
  const result = ref ? await manifests.delete(name, ref, { signal: ctx.signal }) : 'absent';
  if (result === 'deleted') {
    sendEmpty(ctx, 202);
    return;
  }
  if (result === 'in-index') {
    throw new RegistryError(405, 'UNSUPPORTED', `manifest ${reference} is part of an index in ${name}; delete the index instead`);
  }
  throw await notFound(ctx, name, reference);
}
