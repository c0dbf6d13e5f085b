import type { TransportName } from '../ref/transport-ref.ts';
import type { Opener } from '../repository/opener.ts';
import { openDir } from './dir/index.ts';
import { openDockerArchive } from './docker-archive/index.ts';
import { openLayout } from './layout/open-layout.ts';
import { openOciArchive } from './oci-archive/index.ts';
import { openRegistry } from './registry/open-registry.ts';

/** One transport: how its references open. Everything else about it lives in its folder. */
export interface TransportEntry<K extends TransportName> {
  open: Opener<K>;
}

/**
 * Every transport ferry moves images through, by the name its references
 * start with. Adding a transport means: its grammar in `ref/transport-ref.ts`,
 * its folder here under `transports/`, and its line in this table (the type
 * refuses a grammar without a line). The engine never looks at names.
 */
export const TRANSPORT_TABLE: { readonly [K in TransportName]: TransportEntry<K> } = Object.freeze({
  docker: { open: openRegistry },
  oci: { open: openLayout },
  'oci-archive': { open: openOciArchive },
  dir: { open: openDir },
  'docker-archive': { open: openDockerArchive },
});
