// Child process for the layout store tests: `entries DIR PREFIX COUNT` adds COUNT
// index entries one update at a time; `hang DIR` starts a blob write that never
// finishes (the parent kills it to leave a crash leftover).
import { PassThrough } from 'node:stream';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { withTaggedEntry } from '../src/transports/layout/layout-entries.ts';
import { MediaType } from '../src/oci/media-types.ts';
import { sha256 } from './layout-image-fixture.ts';

const [mode, dir, prefix, count] = process.argv.slice(2);
const store = await openLayoutStore(dir!, { create: true });
if (mode === 'entries') {
  for (let i = 0; i < Number(count); i++) {
    const name = `${prefix}/app:t${i}`;
    await store.updateIndex((entries) => withTaggedEntry(entries, { mediaType: MediaType.ociManifest, digest: sha256(name), size: name.length }, name));
  }
} else if (mode === 'hang') {
  const data = new PassThrough();
  data.write(Buffer.alloc(1000, 1));
  void store.writeBlob(data, { digest: sha256('never') });
  setInterval(() => process.stdout.write('ready\n'), 50);
}
