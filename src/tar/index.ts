export { TarFileWriter, type TarEntryOptions } from './tar-file-writer.ts';
export { indexTar, lookupTarFile, stageTar, type TarIndexEntry } from './tar-index.ts';
export { TarStreamWriter } from './tar-stream-writer.ts';
export { extractTarSafely, type ExtractOptions } from './safe-extract.ts';
export { safeEntryPath, resolveInArchive } from './entry-path.ts';
export { sniffCompression, sniffFile, decompressor, readFileRange, type Compression } from './compression.ts';
export { archiveTempPath, existingFileSize, publishArchive, removeStaleArchiveTemps } from './archive-file.ts';
export { encodeHeader, encodeEntryHeaders, fitsUstar, BLOCK_SIZE } from './tar-header.ts';
