import { stat } from 'node:fs/promises';
import { FerryError } from '../../../errors.ts';
import { isMissing } from '../../../transports/layout/layout-fs.ts';
import { referencedBlobs } from '../../../transports/layout/layout-gc.ts';
import type { LayoutStore } from '../../../transports/layout/layout-store.ts';
import type { BlobBackend, BlobDeleteResult, BlobInfo } from '../blob-backend.ts';
import { sendFileRange } from './send-file-range.ts';

/**
 * Blobs of an OCI-layout store: one namespace shared by every repository, so
 * a blob stored for one repository mounts into any other. Deletes take the
 * index lock, as manifest puts do (see {@link layoutManifests}).
 */
export function layoutBlobs(store: LayoutStore): BlobBackend {
  return {
    async stat(_repository, digest): Promise<BlobInfo | undefined> {
      try {
        const st = await stat(store.blobPath(digest));
        return st.isFile() ? { size: st.size, modified: st.mtime } : undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw new FerryError('IO', `cannot stat blob ${digest} in ${store.dir}: ${(error as Error).message}`, { cause: error });
      }
    },

    async copyRange(_repository, digest, range, sink, options = {}) {
      try {
        await sendFileRange(store.blobPath(digest), sink, range.start, range.end, options.signal);
      } catch (error) {
        if (isMissing(error)) throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${store.dir}`, { cause: error });
        throw error;
      }
    },

    async put(_repository, digest, data, options = {}) {
      return store.writeBlob(data, { digest, size: options.size }, { signal: options.signal });
    },

    async mount(_repository, digest) {
      return store.hasBlob(digest);
    },

    async delete(_repository, digest, options = {}) {
      let result: BlobDeleteResult = 'absent';
      // Under the index lock: no manifest put can check this blob and commit in between.
      await store.updateIndex(async () => {
        if (!(await store.hasBlob(digest))) return undefined;
        const { referenced } = await referencedBlobs(store, { signal: options.signal });
        if (referenced.has(digest)) {
          result = 'in-use';
          return undefined;
        }
        result = (await store.deleteBlob(digest)) ? 'deleted' : 'absent';
        return undefined;
      }, { signal: options.signal });
      return result;
    },
  };
}
