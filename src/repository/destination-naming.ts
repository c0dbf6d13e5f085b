import type { TransportName, TransportRefOf } from '../ref/transport-ref.ts';

/** Why a name cannot be written under a destination: `destination <subject> for <source> <problem>`. */
export interface InvalidName {
  subject: string;
  problem: string;
  hint: string;
}

/**
 * How a transport names many images under one destination root: what
 * `ferry sync --dest KIND DESTINATION`, a `to:` of ferry YAML and the mirror
 * workflows write to. Transports that hold one image per file (archives)
 * have none.
 */
export interface DestinationNaming<K extends TransportName> {
  /** The root as reports show it before any image is named: `docker://host`, `oci:/srv/mirror`. */
  describe(root: string): string;
  /** The image called `name` (`path/repository[:tag|@digest]`) under `root` (a registry host, a layout, a parent directory), or why it cannot be. */
  name(root: string, name: string): TransportRefOf<K> | InvalidName;
  /** A named image as plans, reports and opened targets show it. */
  display(ref: TransportRefOf<K>): string;
}
