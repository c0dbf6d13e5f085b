import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError } from '../../errors.ts';
import { ANNOTATION_REF_NAME } from '../../oci/descriptor.ts';
import type { Repository } from '../../repository/repository.ts';
import { LAYOUT_CAPABILITIES, MAX_INDEX_BYTES, MAX_LAYOUT_FILE_BYTES, layoutRepository, openLayoutStore } from '../layout/index.ts';
import { extractTarSafely } from '../../tar/index.ts';
import { fileKind } from '../../util/regular-file.ts';

export interface OciArchiveSourceOptions {
  display: string;
  /** The `org.opencontainers.image.ref.name` to read; without one the archive must hold a single image. */
  name?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A read-only OCI layout inside a tar: one blob namespace, no mounts from elsewhere. */
const SOURCE_CAPABILITIES = Object.freeze({ ...LAYOUT_CAPABILITIES, crossRepoMount: false });

/**
 * Opens an `oci-archive` for reading: unpacks it (safely: no `..`, absolute
 * paths or links) into a temp dir under os.tmpdir() and serves it through the
 * layout store. The temp dir is removed on close. Returns the repository and
 * the reference to read: NAME, or the digest of the only image.
 */
export async function openOciArchiveSource(path: string, options: OciArchiveSourceOptions): Promise<{ repository: Repository; reference: string }> {
  const { display } = options;
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new FerryError('NOT_FOUND', `${display}: ${path} does not exist`);
  if (!st.isFile()) throw new FerryError('INVALID_CONFIG', `${display}: ${path} is ${fileKind(st)}, not a regular file`);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-oci-archive-'));
  try {
    // The files read into memory later are checked by their tar headers before they are written.
    const entryLimits = { 'index.json': MAX_INDEX_BYTES, 'oci-layout': MAX_LAYOUT_FILE_BYTES };
    await extractTarSafely(path, dir, { where: display, entryLimits, signal: options.signal });
    const store = await openLayoutStore(dir, { create: false, fsync: false, signal: options.signal }).catch((error: unknown) => {
      throw new FerryError('INVALID_MANIFEST', `${display}: the archive is not an OCI layout (${(error as Error).message})`, { cause: error });
    });
    let reference = options.name;
    if (reference === undefined) {
      const entries = await store.listEntries();
      if (entries.length !== 1) {
        const names = entries.map((e) => e.annotations?.[ANNOTATION_REF_NAME]).filter((n): n is string => n !== undefined);
        throw new FerryError('USAGE', `${display}: the archive holds ${entries.length} images; name one`, {
          hint: names.length > 0 ? `append :NAME to the path; names: ${names.join(', ')}` : 'append :NAME to the path',
        });
      }
      reference = entries[0]!.digest;
    }
    const inner = layoutRepository(store, '');
    const readOnly = (): never => {
      throw new FerryError('UNSUPPORTED', `${display} was opened as a source and cannot be written`);
    };
    const repository: Repository = {
      ...inner,
      display,
      storageId: `oci-archive:${resolve(path)}`,
      capabilities: SOURCE_CAPABILITIES,
      blobPut: async () => readOnly(),
      manifestPut: async () => readOnly(),
      manifestDelete: async () => readOnly(),
      async close() {
        await inner.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
    delete repository.blobMount;
    return { repository, reference };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
