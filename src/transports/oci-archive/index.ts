import type { Opener } from '../../repository/opener.ts';
import { openOciArchiveDestination } from './oci-archive-destination.ts';
import { openOciArchiveSource } from './oci-archive-source.ts';

export { openOciArchiveSource, type OciArchiveSourceOptions } from './oci-archive-source.ts';
export { openOciArchiveDestination, OCI_ARCHIVE_CAPABILITIES } from './oci-archive-destination.ts';
export { tarLayout } from './layout-tar.ts';

/**
 * Opens `oci-archive:PATH[:NAME]`: a tar of an OCI layout. A source is
 * unpacked to a temp dir and read by NAME (or its only image); a destination
 * is built as a layout and tarred to PATH on commit.
 */
export const openOciArchive: Opener<'oci-archive'> = async (ref, options) => {
  const display = `oci-archive:${ref.path}${ref.name === undefined ? '' : `:${ref.name}`}`;
  if (options.role === 'source') {
    const { repository, reference } = await openOciArchiveSource(ref.path, { display, name: ref.name, signal: options.signal });
    return { repository, reference, display };
  }
  const repository = await openOciArchiveDestination(ref.path, { display, signal: options.signal });
  return { repository, reference: ref.name, display };
};
