import { FerryError } from '../../errors.ts';
import { formatReference, parseReference } from '../../ref/reference.ts';
import type { DestinationNaming } from '../../repository/destination-naming.ts';

/** Images under a registry: `docker://HOST/name`, validated by the reference grammar. */
export const registryNaming: DestinationNaming<'docker'> = {
  describe: (root) => `docker://${root}`,
  name(root, name) {
    const text = `${root}/${name}`;
    try {
      return { transport: 'docker', ref: parseReference(text) };
    } catch (error) {
      const why = error instanceof FerryError ? error.message.replace(/^invalid image reference "[^"]*": /, '') : String(error);
      return { subject: `"${text}"`, problem: `is not a valid image reference: ${why}`, hint: 'check the destination path, naming and suffix' };
    }
  },
  display: (ref) => `docker://${formatReference(ref.ref)}`,
};
