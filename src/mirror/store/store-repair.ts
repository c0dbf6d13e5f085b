import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError, isFerryError, throwIfAborted } from '../../errors.ts';
import { createDigester, digestAlgorithm, isDigest, type Digest } from '../../oci/digest.ts';
import { parseReference, repositoryPath } from '../../ref/reference.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import { openImage } from '../../transports/open-image.ts';
import type { AccessOptions } from '../../repository/access.ts';
import { OpenSession } from '../../repository/open-session.ts';
import { verifyStore, type StoreProblem, type VerifyStoreResult } from './store-verify.ts';

/** A re-fetched manifest can reveal missing children, and an index's child its layers: three levels plus a referrer. */
const DEFAULT_REPAIR_ROUNDS = 5;

export interface RepairStoreOptions {
  /** Access to the source registries (credentials, TLS). */
  access?: AccessOptions | undefined;
  /** Shared connections; default: the repair opens and closes its own. */
  session?: OpenSession | undefined;
  signal?: AbortSignal | undefined;
  maxRounds?: number | undefined;
  onRepaired?: ((digest: Digest, source: string) => void) | undefined;
}

export interface RepairStoreResult {
  /** Content fetched again and stored, with the source it came from. */
  repaired: Array<{ digest: Digest; source: string }>;
  /** Corrupt blobs no image references, deleted. */
  removed: Digest[];
  /** What is still wrong: unreachable sources, no recorded source, problems a re-fetch cannot fix. */
  remaining: StoreProblem[];
}

/**
 * Stores `data` as blob `digest`, replacing whatever file is there (a corrupt
 * copy), only once the new bytes hash to the digest: temp file, verify,
 * rename over. Never holds the blob in memory.
 */
export async function replaceBlob(store: LayoutStore, data: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, digest: Digest, size: number | undefined, signal?: AbortSignal): Promise<void> {
  const tmp = await store.tempPath('.repair');
  const hasher = createDigester(digestAlgorithm(digest));
  let written = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.byteLength;
      if (size !== undefined && written > size) {
        cb(new FerryError('SIZE_MISMATCH', `blob ${digest}: the source sent more than the expected ${size} bytes`));
        return;
      }
      hasher.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(data as AsyncIterable<Uint8Array>, hashing, createWriteStream(tmp, { flags: 'wx' }), signal ? { signal } : {});
    if (size !== undefined && written !== size) throw new FerryError('SIZE_MISMATCH', `blob ${digest}: the source sent ${written} bytes, expected ${size}`);
    const actual = `${digestAlgorithm(digest)}:${hasher.digest('hex')}`;
    if (actual !== digest) throw new FerryError('DIGEST_MISMATCH', `blob from the source hashes to ${actual}, expected ${digest}`);
    if (store.fsync) {
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const dest = store.blobPath(digest);
    await mkdir(dirname(dest), { recursive: true });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function fetchFrom(store: LayoutStore, problem: StoreProblem, source: string, session: OpenSession, options: RepairStoreOptions): Promise<void> {
  const ref = parseReference(source);
  const target = await openImage(`docker://${repositoryPath(ref)}@${problem.digest}`, {
    role: 'source',
    access: options.access,
    session,
    tlsFlag: '--src-tls-verify',
    signal: options.signal,
  });
  const repo = target.repository;
  const isManifest = problem.role === 'index' || problem.role === 'manifest';
  if (isManifest) {
    // manifestGet by digest verifies the bytes; replaceBlob checks again.
    const raw = await repo.manifestGet(problem.digest, { signal: options.signal });
    await replaceBlob(store, [raw.bytes], problem.digest, raw.bytes.byteLength, options.signal);
    return;
  }
  const descriptor = problem.descriptor ?? { mediaType: 'application/octet-stream', digest: problem.digest, size: -1 };
  const stream = await repo.blobGet(descriptor, { signal: options.signal });
  await replaceBlob(store, stream, problem.digest, descriptor.size >= 0 ? descriptor.size : undefined, options.signal);
}

/**
 * Repairs what {@link verifyStore} found: missing and corrupt content is
 * fetched again, by digest, from the recorded source (`io.ferry.source`) of
 * each image that needs it, verified, and put in place; corrupt blobs no
 * image references are deleted. After each round the references are checked
 * again, since a restored manifest can reveal children that are missing too.
 * Sizes that disagree with a descriptor and unreadable manifests whose bytes
 * match their digest cannot be fixed by a re-fetch and stay in `remaining`.
 */
export async function repairStore(store: LayoutStore, verified: VerifyStoreResult, options: RepairStoreOptions = {}): Promise<RepairStoreResult> {
  const session = options.session ?? new OpenSession();
  const repaired: RepairStoreResult['repaired'] = [];
  const removed: Digest[] = [];
  const unfixable = new Map<Digest, StoreProblem>();
  let problems = verified.problems;
  try {
    for (let round = 0; round < (options.maxRounds ?? DEFAULT_REPAIR_ROUNDS); round++) {
      throwIfAborted(options.signal);
      let acted = false;
      for (const problem of problems) {
        if (unfixable.has(problem.digest)) continue;
        if (problem.kind !== 'missing' && problem.kind !== 'corrupt') continue;
        if (problem.role === 'unreferenced') {
          if (problem.kind === 'corrupt' && isDigest(problem.digest) && (await store.deleteBlob(problem.digest))) {
            removed.push(problem.digest);
            acted = true;
          } else unfixable.set(problem.digest, problem);
          continue;
        }
        if (problem.sources.length === 0) {
          unfixable.set(problem.digest, { ...problem, detail: `${problem.detail}; no image that needs it records a source (${'io.ferry.source'})` });
          continue;
        }
        const reasons: string[] = [];
        let done = false;
        for (const source of problem.sources) {
          try {
            await fetchFrom(store, problem, source, session, options);
            repaired.push({ digest: problem.digest, source });
            options.onRepaired?.(problem.digest, source);
            done = true;
            break;
          } catch (error) {
            if (!isFerryError(error) || error.code === 'ABORTED') throw error;
            reasons.push(`${source}: ${error.message}`);
          }
        }
        if (done) acted = true;
        else unfixable.set(problem.digest, { ...problem, detail: `${problem.detail}; repair failed: ${reasons.join('; ')}` });
      }
      if (!acted) break;
      // Re-fetched blobs were verified on the way in: only the references need checking again.
      problems = (await verifyStore(store, { rehash: false, signal: options.signal })).problems;
    }
  } finally {
    if (!options.session) await session.close();
  }
  const remaining = [...unfixable.values(), ...problems.filter((p) => !unfixable.has(p.digest) && !removed.includes(p.digest))];
  return { repaired, removed, remaining };
}
