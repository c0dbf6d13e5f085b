import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError } from '../../errors.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import type { CallOptions, Capabilities, ManifestPutOptions, Repository } from '../../repository/repository.ts';
import { LAYOUT_CAPABILITIES, layoutRepository, openLayoutStore, type LayoutStore } from '../layout/index.ts';
import { TarFileWriter, archiveTempPath, publishArchive, removeStaleArchiveTemps } from '../../tar/index.ts';
import { tarLayout } from './layout-tar.ts';

/** An OCI layout that is tarred on commit: everything a layout stores, but no mounts from other storage. */
export const OCI_ARCHIVE_CAPABILITIES: Capabilities = Object.freeze({ ...LAYOUT_CAPABILITIES, crossRepoMount: false });

/**
 * Opens an `oci-archive` for writing: the image is built as an OCI layout in
 * a temp dir under os.tmpdir() through the layout store; {@link Repository.commit}
 * tars it into `PATH.ferry-tmp-…` and renames that over PATH (an existing archive
 * is replaced, as skopeo does). Until commit PATH is untouched; close removes
 * the temp dir and any unfinished temp archive.
 */
export async function openOciArchiveDestination(path: string, options: { display: string; signal?: AbortSignal | undefined }): Promise<Repository> {
  const { display } = options;
  const target = resolve(path);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) throw new FerryError('INVALID_CONFIG', `${display}: ${path} exists and is not a regular file`);
  await removeStaleArchiveTemps(target);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-oci-archive-'));
  let store: LayoutStore;
  try {
    // The temp layout is thrown away on a crash; only the final archive is synced.
    store = await openLayoutStore(dir, { create: true, fsync: false, signal: options.signal });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const inner = layoutRepository(store, '');
  let last: { reference: string; manifest: RawManifest } | undefined;
  let tempArchive: string | undefined;
  let committed = false;

  return {
    ...inner,
    display,
    storageId: `oci-archive:${target}`,
    capabilities: OCI_ARCHIVE_CAPABILITIES,
    async manifestPut(reference: string, manifest: RawManifest, opts?: ManifestPutOptions) {
      await inner.manifestPut(reference, manifest, opts);
      last = { reference, manifest };
    },
    async commit(opts: CallOptions = {}) {
      if (!last) throw new FerryError('USAGE', `${display}: nothing to commit, no manifest was written`);
      await inner.commit?.(opts);
      tempArchive = archiveTempPath(target);
      const tar = await TarFileWriter.create(tempArchive);
      try {
        await tarLayout(dir, tar, opts);
        await tar.finish();
      } catch (error) {
        await tar.discard();
        throw error;
      }
      await publishArchive(tempArchive, target, { replace: true, where: display });
      committed = true;
    },
    async close() {
      await inner.close();
      if (!committed && tempArchive) await rm(tempArchive, { force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
