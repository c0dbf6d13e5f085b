import { FerryError } from '../../errors.ts';
import { formatOcDiskName, parseOcDiskName } from '../../ref/oc-disk-ref.ts';
import type { DestinationNaming } from '../../repository/destination-naming.ts';

/** Images in oc's disk format under one directory, named `repository[:tag|@digest]`: `oc-disk:DIR:NAME`. */
export const ocDiskNaming: DestinationNaming<'oc-disk'> = {
  describe: (root) => `oc-disk:${root}`,
  name: (root, name) => {
    try {
      return { transport: 'oc-disk', path: root, ...parseOcDiskName(name) };
    } catch (error) {
      if (!(error instanceof FerryError)) throw error;
      return { subject: `"${name}"`, problem: `is not a valid image name: ${error.message}`, hint: 'oc-disk names are REPOSITORY[:TAG], e.g. openshift/release:4.3.0' };
    }
  },
  display: (ref) => `oc-disk:${ref.path}:${formatOcDiskName(ref)}`,
};
