import type { DestinationNaming } from '../../repository/destination-naming.ts';
import { localNameProblem } from '../local-naming.ts';

/** Images in one OCI layout, named by `org.opencontainers.image.ref.name`: `oci:LAYOUT:name`. */
export const layoutNaming: DestinationNaming<'oci'> = {
  describe: (root) => `oci:${root}`,
  name: (root, name) => localNameProblem(name) ?? { transport: 'oci', path: root, name },
  display: (ref) => `oci:${ref.path}${ref.name === undefined ? '' : `:${ref.name}`}`,
};
