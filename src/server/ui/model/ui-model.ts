import type { Descriptor } from '../../../oci/descriptor.ts';
import type { Digest } from '../../../oci/digest.ts';
import { mapLimited } from '../../../util/pool.ts';
import type { RegistryBackend, StoreListing } from '../../backend/registry-backend.ts';
import type { SignatureVerdict, SignatureVerifier, SignedImage } from '../signature-verifier.ts';
import { ConfigSummaries } from './image-config.ts';
import { ManifestFactsCache } from './manifest-facts.ts';
import { StoreViews } from './store-view.ts';

/** Repositories whose subject → referrers map is kept (per generation); a browsing session touches few. */
const MAX_SUBJECT_MAPS = 64;
/** Verdicts kept; each is a line of text. */
const MAX_VERDICTS = 10_000;
/** Manifests read at once when a repository's referrers are mapped. */
const READ_CONCURRENCY = 8;

function bounded<K, V>(map: Map<K, V>, max: number, key: K, value: V): V {
  if (map.size >= max) map.clear();
  map.set(key, value);
  return value;
}

/**
 * Everything the pages read, over one backend: the store view of the current
 * generation, manifest facts and config summaries cached by digest, each
 * repository's referrers, and signature verdicts. Only read verbs of the
 * backend are ever called.
 */
export class UiModel {
  readonly backend: RegistryBackend;
  readonly facts: ManifestFactsCache;
  readonly configs: ConfigSummaries;
  readonly views: StoreViews;
  readonly verifier: SignatureVerifier | undefined;
  readonly #subjects = new Map<string, Promise<Map<Digest, Descriptor[]>>>();
  readonly #verdicts = new Map<string, Promise<SignatureVerdict>>();

  constructor(backend: RegistryBackend, verifier?: SignatureVerifier) {
    this.backend = backend;
    this.facts = new ManifestFactsCache(backend);
    this.configs = new ConfigSummaries(backend);
    this.views = new StoreViews(backend, this.facts);
    this.verifier = verifier;
  }

  /**
   * Subject digest → the repository's manifests that refer to it (their
   * `subject`), as the referrers API would list them; one map per repository
   * and generation, built from the facts the store view reads anyway.
   */
  referrersIn(listing: StoreListing, repository: string, signal?: AbortSignal): Promise<Map<Digest, Descriptor[]>> {
    const key = `${listing.generation}\0${repository}`;
    const cached = this.#subjects.get(key);
    if (cached) return cached;
    const building = (async () => {
      const repo = listing.repositories.get(repository);
      const map = new Map<Digest, Descriptor[]>();
      if (!repo) return map;
      const digests = [...new Set([...repo.tags.values(), ...repo.untagged].map((d) => d.digest))];
      const facts = await mapLimited(digests, READ_CONCURRENCY, (d) => this.facts.get(repository, d).catch(() => undefined), signal);
      for (const f of facts) {
        if (f?.subject === undefined) continue;
        const list = map.get(f.subject) ?? [];
        list.push({ mediaType: f.mediaType, digest: f.digest, size: f.size, ...(f.artifactType !== undefined ? { artifactType: f.artifactType } : {}), ...(f.annotations ? { annotations: { ...f.annotations } } : {}) });
        map.set(f.subject, list);
      }
      return map;
    })();
    building.catch(() => this.#subjects.delete(key));
    return bounded(this.#subjects, MAX_SUBJECT_MAPS, key, building);
  }

  /** The verifier's verdict on an image, once per generation; undefined without a verifier. */
  verdict(generation: string, image: SignedImage): Promise<SignatureVerdict> | undefined {
    const verifier = this.verifier;
    if (!verifier) return undefined;
    const key = `${generation}\0${image.repository}\0${image.tag ?? ''}\0${image.digest}`;
    const cached = this.#verdicts.get(key);
    if (cached) return cached;
    const checking = verifier(image, {}).catch((error: unknown): SignatureVerdict => ({ verified: false, reason: (error as Error).message }));
    return bounded(this.#verdicts, MAX_VERDICTS, key, checking);
  }

  close(): void {
    this.views.close();
  }
}
