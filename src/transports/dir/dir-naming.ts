import { posix } from 'node:path';
import type { DestinationNaming } from '../../repository/destination-naming.ts';
import { localNameProblem } from '../local-naming.ts';

/** One `dir:` image per name, in directories under the root: `dir:ROOT/name`. */
export const dirNaming: DestinationNaming<'dir'> = {
  describe: (root) => `dir:${root}`,
  name: (root, name) => localNameProblem(name) ?? { transport: 'dir', path: posix.join(root, name) },
  display: (ref) => `dir:${ref.path}`,
};
