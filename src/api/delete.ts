import { FerryError } from '../errors.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';

export interface DeleteOptions {
  access?: AccessOptions | undefined;
  signal?: AbortSignal | undefined;
}

/** Deletes the manifest a reference names (a tag is resolved to its digest first, as the API requires). */
export async function deleteImage(reference: string, options: DeleteOptions = {}): Promise<void> {
  const target = await openImage(reference, { role: 'destination', access: options.access, signal: options.signal });
  try {
    const repo = target.repository;
    if (!repo.manifestDelete) throw new FerryError('UNSUPPORTED', `${target.display}: this transport cannot delete images`);
    await repo.manifestDelete(target.reference ?? 'latest', { signal: options.signal });
  } finally {
    await target.repository.close();
  }
}
