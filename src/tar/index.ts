export { TarFileWriter, type TarEntryOptions } from './tar-file-writer.ts';
export { findTarFile, indexTar, lookupTarFile, stageTar, type TarIndexEntry, type TarLookup } from './tar-index.ts';
export { TarStreamWriter } from './tar-stream-writer.ts';
export { extractTarSafely, type ExtractOptions } from './safe-extract.ts';
export { safeEntryPath, resolveInArchive } from './entry-path.ts';
export { sniffCompression, sniffFile, decompressor, expansionLimit, readFileRange, type Compression } from './compression.ts';
export { archiveTempPath, existingFileSize, publishArchive, removeStaleArchiveTemps } from './archive-file.ts';
export { encodeHeader, encodeEntryHeaders, fitsUstar, BLOCK_SIZE } from './tar-header.ts';
