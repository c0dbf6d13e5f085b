import { parseTransportRef, type TransportName, type TransportRef } from '../ref/transport-ref.ts';
import type { Opener, OpenImageOptions } from '../repository/opener.ts';
import type { ImageTarget } from '../repository/repository.ts';
import { TRANSPORT_TABLE } from './transport-table.ts';

/**
 * Resolves `transport:reference` to a repository and the reference within
 * it, through the transport table. In a session, the session closes the
 * target with the rest of the run.
 */
export async function openImage(input: string | TransportRef, options: OpenImageOptions): Promise<ImageTarget> {
  const ref = typeof input === 'string' ? parseTransportRef(input) : input;
  // The table pairs each name with the opener of that name's references; TypeScript cannot follow the pairing through an index.
  const open = TRANSPORT_TABLE[ref.transport].open as Opener<TransportName>;
  const target = await open(ref, options);
  options.session?.track(target.repository);
  return target;
}
