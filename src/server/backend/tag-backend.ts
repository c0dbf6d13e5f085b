import type { BackendCallOptions } from './blob-backend.ts';

/** The repository and tag listings of a {@link RegistryBackend} (`/v2/_catalog`, `/v2/<name>/tags/list`). */
export interface TagBackend {
  /** Every repository that holds at least one manifest (tagged or not), sorted. */
  repositories(options?: BackendCallOptions): Promise<string[]>;
  /** The tags of `repository`, sorted; undefined when the repository does not exist (an empty list when it holds only untagged manifests). */
  tags(repository: string, options?: BackendCallOptions): Promise<string[] | undefined>;
}
