import type { TransportName } from '../ref/transport-ref.ts';
import type { DestinationNaming } from '../repository/destination-naming.ts';
import type { Opener } from '../repository/opener.ts';
import { dirNaming } from './dir/dir-naming.ts';
import { layoutNaming } from './layout/layout-naming.ts';
import { ocDiskNaming } from './oc-disk/oc-disk-naming.ts';
import { registryNaming } from './registry/registry-naming.ts';

/** One transport: how its references open, and how a sync names images under a destination of it (when it can be one). */
export interface TransportEntry<K extends TransportName> {
  open: Opener<K>;
  destinations?: DestinationNaming<K> | undefined;
}

/**
 * An opener whose code loads on first use: a run loads only the transports it
 * touches (a registry-to-registry sync never loads tar, archive or engine
 * code), which is most of a short run's start-up time.
 */
function lazy<K extends TransportName>(load: () => Promise<Opener<K>>): Opener<K> {
  let loading: Promise<Opener<K>> | undefined;
  return async (ref, options) => (await (loading ??= load()))(ref, options);
}

const TABLE = {
  docker: { open: lazy(async () => (await import('./registry/open-registry.ts')).openRegistry), destinations: registryNaming },
  oci: { open: lazy(async () => (await import('./layout/open-layout.ts')).openLayout), destinations: layoutNaming },
  'oci-archive': { open: lazy(async () => (await import('./oci-archive/index.ts')).openOciArchive) },
  dir: { open: lazy(async () => (await import('./dir/index.ts')).openDir), destinations: dirNaming },
  'docker-archive': { open: lazy(async () => (await import('./docker-archive/index.ts')).openDockerArchive) },
  'docker-daemon': { open: lazy(async () => (await import('./docker-daemon/index.ts')).openDockerDaemon) },
  'containers-storage': { open: lazy(async () => (await import('./containers-storage/index.ts')).openContainersStorage) },
  'oc-disk': { open: lazy(async () => (await import('./oc-disk/index.ts')).openOcDisk), destinations: ocDiskNaming },
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
