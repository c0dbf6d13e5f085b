import { createReadStream } from 'node:fs';
import { open, rm, truncate } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../../../oci/digest.ts';
import { writeAll } from '../../../transports/layout/layout-fs.ts';
import type { LayoutStore } from '../../../transports/layout/layout-store.ts';
import type { BackendCallOptions, BlobWriteResult } from '../blob-backend.ts';
import type { UploadBackend, UploadBuffer } from '../upload-backend.ts';

/**
 * One upload's bytes in a temp file of the store (same file system as the
 * blobs, so the commit is a rename). The file is created by the first byte:
 * a session that never sends one costs no inode.
 */
class LayoutUploadBuffer implements UploadBuffer {
  readonly #store: LayoutStore;
  #path: string | undefined;

  constructor(store: LayoutStore) {
    this.#store = store;
  }

  async #file(): Promise<string> {
    if (this.#path === undefined) {
      const path = await this.#store.tempPath('.upload');
      await (await open(path, 'wx')).close();
      this.#path = path;
    }
    return this.#path;
  }

  async append(offset: number, data: AsyncIterable<Uint8Array>): Promise<void> {
    const fh = await open(await this.#file(), 'r+');
    try {
      let position = offset;
      for await (const chunk of data) {
        await writeAll(fh, chunk, position);
        position += chunk.byteLength;
      }
    } finally {
      await fh.close();
    }
  }

  async truncate(size: number): Promise<void> {
    if (this.#path !== undefined) await truncate(this.#path, size);
  }

  async *read(options: BackendCallOptions = {}): AsyncIterable<Uint8Array> {
    if (this.#path === undefined) return;
    yield* createReadStream(this.#path, { signal: options.signal }) as Readable & AsyncIterable<Buffer>;
  }

  async commit(digest: Digest): Promise<BlobWriteResult> {
    const path = await this.#file();
    if (this.#store.fsync) {
      const fh = await open(path, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    return this.#store.commitTempBlob(path, digest);
  }

  async discard(): Promise<void> {
    if (this.#path !== undefined) await rm(this.#path, { force: true });
  }
}

/** Upload buffers of an OCI-layout store. */
export function layoutUploads(store: LayoutStore): UploadBackend {
  return { create: async () => new LayoutUploadBuffer(store) };
}
