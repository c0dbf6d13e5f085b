import { FerryError } from '../errors.ts';
import { parseTransportRef } from '../ref/transport-ref.ts';
import { formatReference } from '../ref/reference.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';

export interface ListTagsOptions {
  access?: AccessOptions | undefined;
  signal?: AbortSignal | undefined;
}

/** `skopeo list-tags` output. */
export interface ListTagsResult {
  Repository: string;
  Tags: string[];
}

/**
 * Lists a repository's tags (following Link pagination), or an OCI layout's
 * ref names. A docker reference must name a repository without tag or digest.
 */
export async function listTags(reference: string, options: ListTagsOptions = {}): Promise<ListTagsResult> {
  const ref = parseTransportRef(reference);
  if (ref.transport === 'docker' && (ref.ref.tag !== undefined || ref.ref.digest !== undefined)) {
    throw new FerryError('USAGE', `list-tags takes a repository without tag or digest, got "${reference}"`, {
      hint: `use docker://${formatReference({ registry: ref.ref.registry, repository: ref.ref.repository })}`,
    });
  }
  const target = await openImage(ref, { role: 'source', access: options.access, signal: options.signal });
  try {
    const tags = await target.repository.tagList({ signal: options.signal });
    const name = ref.transport === 'docker' ? `${ref.ref.registry}/${ref.ref.repository}` : target.repository.display;
    return { Repository: name, Tags: tags };
  } finally {
    await target.repository.close();
  }
}
