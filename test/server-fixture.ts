import { Readable } from 'node:stream';
import type { AfterHook } from './helpers/cleanup.ts';
import { tempDir } from './helpers/tmp.ts';
import { startServer, type RunningServer, type ServeOptions } from '../src/server/server.ts';
import type { ServerLogEvent } from '../src/server/access-log.ts';
import { openLayoutStore, type LayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import type { TestImage } from './layout-image-fixture.ts';

/** A ferry registry on a free loopback port over a fresh store, stopped after the test. */
export interface TestServer extends RunningServer {
  storage: string;
  events: ServerLogEvent[];
}

export async function startTestServer(t: AfterHook, options: Partial<ServeOptions> = {}): Promise<TestServer> {
  const storage = options.storage ?? (await tempDir('ferry-serve', t));
  const events: ServerLogEvent[] = [];
  const server = await startServer({ addr: '127.0.0.1:0', fsync: false, ...options, storage, onLog: (_line, e) => events.push(e) });
  t.after(() => server.close());
  return { ...server, storage, events };
}

/** Writes an image into an OCI layout (the source skopeo pushes from). */
export async function layoutWithImage(dir: string, repository: string, tag: string, ...images: TestImage[]): Promise<LayoutStore> {
  const store = await openLayoutStore(dir, { create: true });
  const repo = layoutRepository(store, repository);
  for (const image of images) {
    for (const b of image.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
    await repo.manifestPut(images.length === 1 ? tag : image.manifest.digest, image.manifest);
  }
  return store;
}
