import type { TransportName } from '../ref/transport-ref.ts';
import type { DestinationNaming } from '../repository/destination-naming.ts';
import type { Opener } from '../repository/opener.ts';
import { dirNaming } from './dir/dir-naming.ts';
import { openDir } from './dir/index.ts';
import { openContainersStorage } from './containers-storage/index.ts';
import { openDockerArchive } from './docker-archive/index.ts';
import { openDockerDaemon } from './docker-daemon/index.ts';
import { layoutNaming } from './layout/layout-naming.ts';
import { openLayout } from './layout/open-layout.ts';
import { openOciArchive } from './oci-archive/index.ts';
import { ocDiskNaming, openOcDisk } from './oc-disk/index.ts';
import { openRegistry } from './registry/open-registry.ts';
import { registryNaming } from './registry/registry-naming.ts';

/** One transport: how its references open, and how a sync names images under a destination of it (when it can be one). */
export interface TransportEntry<K extends TransportName> {
  open: Opener<K>;
  destinations?: DestinationNaming<K> | undefined;
}

const TABLE = {
  docker: { open: openRegistry, destinations: registryNaming },
  oci: { open: openLayout, destinations: layoutNaming },
  'oci-archive': { open: openOciArchive },
  dir: { open: openDir, destinations: dirNaming },
  'docker-archive': { open: openDockerArchive },
  'docker-daemon': { open: openDockerDaemon },
  'containers-storage': { open: openContainersStorage },
  'oc-disk': { open: openOcDisk, destinations: ocDiskNaming },
} satisfies { readonly [K in TransportName]: TransportEntry<K> };

/**
 * Every transport ferry moves images through, by the name its references
 * start with. Adding a transport means: its grammar in `ref/transport-ref.ts`,
 * its folder here under `transports/`, and its line in this table (the type
 * refuses a grammar without a line). The engine never looks at names; sync's
 * destination kinds are the lines with `destinations`.
 */
export const TRANSPORT_TABLE: typeof TABLE = Object.freeze(TABLE);

/** The transports a sync can write many images to (`--dest`, `to:`). */
export type SyncDestinationTransport = { [K in keyof typeof TABLE]: (typeof TABLE)[K] extends { destinations: object } ? K : never }[keyof typeof TABLE];

/** {@link SyncDestinationTransport} at run time, in table order. */
export const SYNC_DESTINATION_TRANSPORTS: readonly SyncDestinationTransport[] = Object.freeze(
  (Object.keys(TABLE) as TransportName[]).filter((k): k is SyncDestinationTransport => 'destinations' in TABLE[k]),
);

/**
 * How images are named under a destination of `transport`. Its `display`
 * takes only references of that transport (the ones its `name` makes).
 */
export function destinationNaming(transport: SyncDestinationTransport): DestinationNaming<SyncDestinationTransport> {
  // Each line's naming handles its own transport's references; the union type cannot say which.
  return TRANSPORT_TABLE[transport].destinations as unknown as DestinationNaming<SyncDestinationTransport>;
}
