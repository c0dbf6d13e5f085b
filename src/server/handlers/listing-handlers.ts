import { MediaType } from '../../oci/media-types.ts';
import { pageParams, paginate, sendJson, singleParam, type RequestContext } from '../http-util.ts';
import { checkDigest } from './blob-handlers.ts';
import { RegistryError } from '../registry-error.ts';

/** GET /v2/<name>/tags/list with `n`/`last` and a `Link` to the next page. */
export async function listTags(ctx: RequestContext, name: string): Promise<void> {
  const params = pageParams(ctx.url);
  const tags = await ctx.backend.tags.tags(name, { signal: ctx.signal });
  if (tags === undefined) throw new RegistryError(404, 'NAME_UNKNOWN', `repository ${name} not found`, { detail: { name } });
  const { page, headers } = paginate(params, tags, `/v2/${name}/tags/list`);
  sendJson(ctx, 200, { name, tags: page }, headers);
}

/** GET /v2/_catalog: every repository holding a manifest, tagged or not. */
export async function listCatalog(ctx: RequestContext): Promise<void> {
  const params = pageParams(ctx.url);
  const { page, headers } = paginate(params, await ctx.backend.tags.repositories({ signal: ctx.signal }), '/v2/_catalog');
  sendJson(ctx, 200, { repositories: page }, headers);
}

/** GET /v2/<name>/referrers/<digest>[?artifactType=]: never 404, an empty index when nothing refers. */
export async function listReferrers(ctx: RequestContext, name: string, digestRaw: string): Promise<void> {
  const digest = checkDigest(digestRaw);
  const artifactType = singleParam(ctx.url, 'artifactType');
  const manifests = await ctx.backend.referrers.list(name, digest, { artifactType, signal: ctx.signal });
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
  const headers: Record<string, string | number> = { 'Content-Type': MediaType.ociIndex, 'Content-Length': Buffer.byteLength(body) };
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  ctx.res.writeHead(200, headers);
  ctx.res.end(ctx.head ? undefined : body);
}
