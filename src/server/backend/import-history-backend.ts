import type { BackendCallOptions } from './blob-backend.ts';

/** A named image that a bundle import added or moved. */
export interface ArrivedImage {
  /** `org.opencontainers.image.ref.name` (`ns/app:1.0`). */
  name: string;
  digest: string;
  /** The digest the name pointed at before the import, when it moved. */
  previous?: string | undefined;
}

/**
 * One `ferry bundle import` into the store: which bundle (its identity from
 * `bundle.json`), when, and what it brought. Fields after `imported` are
 * absent in records written before the store kept them.
 */
export interface BundleImportRecord {
  /** The bundle's id (bundle.json `id`). */
  id: string;
  /** When the bundle was made (RFC 3339, bundle.json `created`). */
  created: string;
  /** The bundle it extends (an incremental bundle's predecessor). */
  extends?: string | undefined;
  /** When it was imported (RFC 3339). */
  imported: string;
  /** The bundle directory as the import was given it. */
  from?: string | undefined;
  /** Images (index.json entries) the bundle names. */
  images?: number | undefined;
  /** Named images new to the store or moved to another digest: how many, and the first of them. */
  arrived?: { count: number; listed: ArrivedImage[] } | undefined;
  /** Blobs unpacked, blobs the store already had, and the bytes unpacked. */
  blobs?: { written: number; present: number; bytes: number } | undefined;
}

/**
 * An optional, read-only family of a {@link RegistryBackend}: the record of
 * bundle imports a mirror store keeps. The server never writes it.
 */
export interface ImportHistoryBackend {
  /** Every recorded import, oldest first; empty when the store has none. */
  list(options?: BackendCallOptions): Promise<readonly BundleImportRecord[]>;
}
