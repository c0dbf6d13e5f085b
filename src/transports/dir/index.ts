import type { Opener } from '../../repository/opener.ts';
import { dirNaming } from './dir-naming.ts';
import { openDirRepository } from './dir-repository.ts';

export { openDirRepository, DIR_CAPABILITIES, type DirRepositoryOptions } from './dir-repository.ts';
export { DIR_VERSION, blobFileName, instanceManifestFileName } from './dir-format.ts';

/** Opens `dir:PATH`: one image, no name inside the directory. */
export const openDir: Opener<'dir'> = async (ref, options) => {
  const repository = await openDirRepository(ref.path, { role: options.role, signal: options.signal });
  return { repository, reference: undefined, display: dirNaming.display(ref) };
};
