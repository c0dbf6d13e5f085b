import type { Descriptor } from '../../oci/descriptor.ts';
import { parseManifest, type ParsedManifest } from '../../oci/manifest.ts';
import type { Digest } from '../../oci/digest.ts';

/** What the server needs to know about a stored manifest, cached by digest (content never changes). */
export interface ManifestSummary {
  mediaType: string;
  size: number;
  /** Manifests an index lists. */
  children: Digest[];
  subject?: Digest | undefined;
  /** As the referrers API reports it: the manifest's artifactType, else an image's config media type. */
  artifactType?: string | undefined;
  annotations?: Record<string, string> | undefined;
}

/** Summaries kept in memory; each is a few hundred bytes. */
const MAX_CACHED = 20_000;

/**
 * Reads the bytes of a stored manifest for {@link ManifestSummaries}; resolves
 * undefined when it is absent or too large to be a manifest.
 */
export type ManifestReader = (digest: Digest) => Promise<Uint8Array | undefined>;

/** Reads and summarises stored manifests, remembering the answers (a backend helper). */
export class ManifestSummaries {
  readonly #read: ManifestReader;
  readonly #cache = new Map<Digest, ManifestSummary | null>();

  constructor(read: ManifestReader) {
    this.#read = read;
  }

  /** Summary of a stored manifest; undefined when the blob is absent or not a manifest ferry can parse. */
  async get(digest: Digest, mediaTypeHint?: string): Promise<ManifestSummary | undefined> {
    const cached = this.#cache.get(digest);
    if (cached !== undefined) return cached ?? undefined;
    // Absent is not cached: it may be pushed later.
    const bytes = await this.#read(digest);
    if (bytes === undefined) return undefined;
    let summary: ManifestSummary | null;
    try {
      summary = summarize(bytes, mediaTypeHint, digest);
    } catch {
      summary = null;
    }
    this.remember(digest, summary);
    return summary ?? undefined;
  }

  /** Records a summary computed elsewhere (the manifest PUT already parsed the bytes). */
  remember(digest: Digest, summary: ManifestSummary | null): void {
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(digest, summary);
  }
}

/** Parses manifest bytes into a summary; throws INVALID_MANIFEST like parseManifest. */
export function summarize(bytes: Uint8Array, contentType: string | undefined, where: string): ManifestSummary {
  return summaryOf(parseManifest(bytes, contentType, where), bytes.byteLength);
}

/** The summary of an already parsed manifest of `size` bytes. */
export function summaryOf(parsed: ParsedManifest, size: number): ManifestSummary {
  if (parsed.kind === 'index') {
    const { index } = parsed;
    return {
      mediaType: parsed.mediaType,
      size,
      children: index.manifests.map((m: Descriptor) => m.digest),
      subject: index.subject?.digest,
      artifactType: index.artifactType,
      annotations: index.annotations,
    };
  }
  const { manifest } = parsed;
  return {
    mediaType: parsed.mediaType,
    size,
    children: [],
    subject: manifest.subject?.digest,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    annotations: manifest.annotations,
  };
}
