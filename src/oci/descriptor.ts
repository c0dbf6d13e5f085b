import type { Digest } from './digest.ts';

/** OCI platform of an index entry or image config. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string | undefined;
  'os.version'?: string | undefined;
  'os.features'?: string[] | undefined;
}

/** A content descriptor: what a manifest says about a blob or another manifest. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[] | undefined;
  annotations?: Record<string, string> | undefined;
  platform?: Platform | undefined;
  artifactType?: string | undefined;
}

/** A single-image manifest (OCI image manifest or Docker schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string | undefined;
  artifactType?: string | undefined;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor | undefined;
  annotations?: Record<string, string> | undefined;
}

/** A manifest list (OCI image index or Docker manifest list). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string | undefined;
  artifactType?: string | undefined;
  manifests: Descriptor[];
  subject?: Descriptor | undefined;
  annotations?: Record<string, string> | undefined;
}

/** Annotation holding a manifest's name inside an OCI layout's index.json. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** Annotation ferry adds to layout entries: the full reference the image was copied from. */
export const ANNOTATION_SOURCE = 'io.ferry.source';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
