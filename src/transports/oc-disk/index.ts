import { stat } from 'node:fs/promises';
import { FerryError } from '../../errors.ts';
import type { Opener } from '../../repository/opener.ts';
import { repositoryDir } from './oc-disk-format.ts';
import { ocDiskNaming } from './oc-disk-naming.ts';
import { OcDiskRepository } from './oc-disk-repository.ts';

export { OcDiskRepository, OC_DISK_CAPABILITIES, type OcDiskRepositoryOptions } from './oc-disk-repository.ts';
export { repositoryDir, V2_DIR } from './oc-disk-format.ts';
export { ocDiskNaming } from './oc-disk-naming.ts';

/**
 * Opens `oc-disk:PATH:REPOSITORY[:TAG|@DIGEST]`. A source repository must
 * exist (`PATH/v2/REPOSITORY`); a destination is made on first write, and
 * leftovers of interrupted writers are removed first.
 */
export const openOcDisk: Opener<'oc-disk'> = async (ref, options) => {
  const repository = new OcDiskRepository(ref.path, ref.repository);
  const display = ocDiskNaming.display(ref);
  if (options.role === 'source') {
    const folder = repositoryDir(ref.path, ref.repository);
    const found = await stat(folder).then((s) => s.isDirectory(), () => false);
    if (!found) {
      throw new FerryError('NOT_FOUND', `${display}: no repository ${ref.repository} in ${ref.path} (${folder} does not exist)`, {
        hint: 'give the directory oc image mirror --dir or ferry wrote (--from-dir), and the repository under its v2/ folder',
      });
    }
  } else {
    await repository.removeStaleTemps();
  }
  return { repository, reference: ref.digest ?? ref.tag, display };
};
