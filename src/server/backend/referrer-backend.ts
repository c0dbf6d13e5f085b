import type { Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import type { BackendCallOptions } from './blob-backend.ts';

/** The referrers family of a {@link RegistryBackend} (`/v2/<name>/referrers/<digest>`). */
export interface ReferrerBackend {
  /**
   * Descriptors of the manifests of `repository` whose `subject` is `digest`,
   * with `artifactType` (the manifest's, else an image's config media type)
   * and annotations as the referrers API lists them; only those of
   * `artifactType` when it is given. Never fails for an unknown subject: [].
   */
  list(repository: string, digest: Digest, options?: BackendCallOptions & { artifactType?: string | undefined }): Promise<Descriptor[]>;
}
