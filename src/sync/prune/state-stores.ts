import { readFile } from 'node:fs/promises';
import { FerryError, isFerryError } from '../../errors.ts';
import type { ImageManifest } from '../../oci/descriptor.ts';
import { digestOf } from '../../oci/digest.ts';
import { parseManifest } from '../../oci/manifest.ts';
import { MediaType } from '../../oci/media-types.ts';
import { putSmallBlob } from '../../repository/put-small-blob.ts';
import { readSmallBlob } from '../../repository/read-small-blob.ts';
import type { Repository } from '../../repository/repository.ts';
import { withFileLock } from '../../util/file-lock.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import {
  MAX_STATE_BYTES, STATE_MEDIA_TYPE, STATE_TAG, parseRepositoryState, parseStateFile, sameNames, serializeRepositoryState, serializeStateFile,
  type OwnedNames,
} from './prune-state.ts';

interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Where the prune state of a destination lives. `key` names the destination
 * within a store that holds several (a state file); `repo` is the
 * destination itself (a registry repository keeps its own state).
 */
export interface StateStore {
  /** The names recorded for the destination; empty when none were. */
  read(key: string, repo: Repository, options: CallOptions): Promise<OwnedNames>;
  /** Records the destination's new names (written now, or staged until {@link flush}). */
  write(key: string, repo: Repository, names: OwnedNames, options: CallOptions): Promise<void>;
  /** Makes staged writes durable. */
  flush(options: CallOptions): Promise<void>;
}

/** The empty JSON object OCI 1.1 prescribes as the config of an artifact without one. */
const EMPTY_CONFIG = Buffer.from('{}');

/**
 * State kept in the destination repository itself, as a small OCI artifact
 * tagged {@link STATE_TAG}: it survives the loss of the machine that runs
 * ferry (a new pod, a lost disk) and goes where the repository goes. A
 * manifest PUT is atomic, so a run killed while writing it leaves the old
 * state or the new.
 */
export function artifactStateStore(): StateStore {
  return {
    async read(_key, repo, options) {
      const head = await repo.manifestHead(STATE_TAG, options).catch((error: unknown) => {
        if (isFerryError(error, 'NOT_FOUND')) return undefined;
        throw error;
      });
      if (!head) return new Map();
      const where = `${repo.display}:${STATE_TAG}`;
      const raw = await repo.manifestGet(STATE_TAG, options);
      const parsed = parseManifest(raw.bytes, raw.mediaType, where);
      const layer = parsed.kind === 'image' && parsed.manifest.artifactType === STATE_MEDIA_TYPE ? parsed.manifest.layers[0] : undefined;
      if (!layer || layer.mediaType !== STATE_MEDIA_TYPE) {
        throw new FerryError('CORRUPT', `${where} is not a ferry prune state (artifactType ${STATE_MEDIA_TYPE})`, {
          hint: `the tag ${STATE_TAG} is ferry's; move whatever else is there to another tag, or pass --state FILE`,
        });
      }
      const bytes = await readSmallBlob(repo, layer, { limit: MAX_STATE_BYTES, what: 'a prune state', signal: options.signal });
      return parseRepositoryState(bytes.toString('utf8'), where);
    },
    async write(_key, repo, names, options) {
      const config = await putSmallBlob(repo, EMPTY_CONFIG, MediaType.ociEmpty, options);
      const layer = await putSmallBlob(repo, Buffer.from(serializeRepositoryState(names)), STATE_MEDIA_TYPE, options);
      const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: STATE_MEDIA_TYPE, config, layers: [layer] };
      const bytes = Buffer.from(JSON.stringify(manifest));
      await repo.manifestPut(STATE_TAG, { bytes, mediaType: MediaType.ociManifest, digest: digestOf(bytes) }, options);
      await repo.commit?.(options);
    },
    async flush() {},
  };
}

/**
 * State kept in a JSON file: `--state FILE` for every destination, or an OCI
 * layout's own `ferry-state.json` (a layout lives on local disk anyway).
 * Read once; writes are staged and {@link StateStore.flush} merges them into
 * the file as it is then — under a lock, so two runs writing different
 * destinations keep each other's — and replaces it atomically.
 */
export function fileStateStore(path: string): StateStore {
  let loaded: Promise<Map<string, OwnedNames>> | undefined;
  const staged = new Map<string, OwnedNames>();
  const load = async (signal: AbortSignal | undefined): Promise<Map<string, OwnedNames>> => {
    let text: string;
    try {
      text = await readFile(path, { encoding: 'utf8', signal });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new FerryError('IO', `cannot read prune state ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    return parseStateFile(text, path);
  };
  return {
    async read(key, _repo, options) {
      loaded ??= load(options.signal);
      return new Map((await loaded).get(key) ?? []);
    },
    async write(key, _repo, names) {
      staged.set(key, new Map(names));
    },
    async flush(options) {
      if (staged.size === 0) return;
      await withFileLock(`${path}.lock`, async () => {
        const current = await load(options.signal);
        const changed = [...staged].some(([key, names]) => !sameNames(current.get(key) ?? new Map(), names));
        if (!changed) return;
        for (const [key, names] of staged) current.set(key, names);
        await writeFileAtomic(path, serializeStateFile(current), { signal: options.signal });
      }, options);
      staged.clear();
    },
  };
}
