import type { Digest } from '../../../oci/digest.ts';
import { mapLimited } from '../../../util/pool.ts';
import type { BackendCallOptions, RegistryBackend, RepositoryListing, StoreListing } from '../../backend/registry-backend.ts';
import { isAttachmentTag } from './attachment-tags.ts';
import type { ManifestFacts, ManifestFactsCache } from './manifest-facts.ts';
import { storeListing } from './store-listing.ts';

/** Repositories counted at once, and manifests read at once within each: enough to keep a disk busy, few enough to leave the server responsive. */
const REPOSITORY_CONCURRENCY = 4;
const MANIFEST_CONCURRENCY = 4;
/** How deep indexes of indexes are followed (as the layout backend does). */
const MAX_INDEX_DEPTH = 4;

/** One repository on the home page. */
export interface RepositorySummary {
  name: string;
  tags: number;
  /** Unique bytes of everything its manifests reference, the manifests included; undefined until counted. */
  size?: number | undefined;
  /** When its newest manifest was stored, where the backend knows. */
  lastChange?: Date | undefined;
  /** Manifests that could not be read. */
  problems: number;
}

/** The whole store at a glance. */
export interface StoreTotals {
  repositories: number;
  tags: number;
  /** Distinct manifests that tags name, attachment tags (`.sig`, referrers fallback) left out. */
  images: number;
  /** Every blob and manifest counted once across repositories; undefined until counted. */
  uniqueBytes?: number | undefined;
}

interface Counted {
  /** What was counted: the repository's manifests; an equal key in the next generation means an equal count. */
  key: string;
  size: number;
  lastChange: Date | undefined;
  problems: number;
  /** Digest → size of every blob and manifest counted. */
  blobs: Map<Digest, number>;
}

/** The digests a repository names, in a canonical order. */
function repositoryKey(repo: RepositoryListing): string {
  return [...[...repo.tags].map(([tag, d]) => `${tag}=${d.digest}`), ...repo.untagged.map((d) => d.digest).sort()].join('\n');
}

/**
 * The facts of `digests`, or a stand-in for one that failed to read. Facts
 * already known are taken synchronously: after a push, recounting the whole
 * store is a loop over maps, not ten thousand awaits.
 */
async function readFacts(facts: ManifestFactsCache, repository: string, digests: readonly Digest[], signal: AbortSignal): Promise<Array<ManifestFacts | Error | undefined>> {
  const out: Array<ManifestFacts | Error | undefined> = digests.map((d) => facts.peek(d));
  const missing = digests.flatMap((d, i) => (out[i] === undefined ? [i] : []));
  if (missing.length === 0) return out;
  const read = await mapLimited(missing, MANIFEST_CONCURRENCY, (i) => facts.get(repository, digests[i]!).catch((error: unknown) => error instanceof Error ? error : new Error(String(error))), signal);
  missing.forEach((i, k) => (out[i] = read[k]));
  return out;
}

/**
 * The sizes and last changes of one generation of the store, counted in the
 * background: pages read what is counted so far and never wait for the whole
 * store. Counting reads each manifest once (facts are cached by digest across
 * generations), so after a push only the new manifests are read.
 */
export class StoreView {
  readonly listing: StoreListing;
  /** Manifests read so far, of those known to need reading. */
  readonly progress = { read: 0, total: 0 };
  /** Settles when every repository is counted (or counting was stopped). */
  readonly counted: Promise<void>;
  readonly #counts = new Map<string, Counted>();
  #uniqueBytes: number | undefined;
  #complete = false;

  /** `previous`: the view of the generation before, whose counts of unchanged repositories are taken over. */
  constructor(listing: StoreListing, facts: ManifestFactsCache, signal: AbortSignal, previous?: StoreView) {
    this.listing = listing;
    for (const repo of listing.repositories.values()) this.progress.total += new Set([...repo.tags.values(), ...repo.untagged].map((d) => d.digest)).size;
    this.counted = this.#countAll(facts, signal, previous).then(() => {
      this.#complete = !signal.aborted;
    }, () => undefined);
  }

  /** Whether every size is known. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Every repository (whose name contains `filter`, when given), sorted by name. */
  summaries(filter?: string): RepositorySummary[] {
    const out: RepositorySummary[] = [];
    const needle = filter?.trim().toLowerCase() ?? '';
    for (const [name, repo] of this.listing.repositories) {
      if (needle !== '' && !name.includes(needle)) continue;
      const counted = this.#counts.get(name);
      out.push({ name, tags: repo.tags.size, size: counted?.size, lastChange: counted?.lastChange, problems: counted?.problems ?? 0 });
    }
    return out;
  }

  totals(): StoreTotals {
    let tags = 0;
    const images = new Set<string>();
    for (const repo of this.listing.repositories.values()) {
      tags += repo.tags.size;
      for (const [tag, d] of repo.tags) if (!isAttachmentTag(tag)) images.add(d.digest);
    }
    return { repositories: this.listing.repositories.size, tags, images: images.size, uniqueBytes: this.#complete ? this.#uniqueBytes : undefined };
  }

  async #countAll(facts: ManifestFactsCache, signal: AbortSignal, previous: StoreView | undefined): Promise<void> {
    const names = [...this.listing.repositories.keys()];
    await mapLimited(names, REPOSITORY_CONCURRENCY, async (name) => {
      const repo = this.listing.repositories.get(name)!;
      const key = repositoryKey(repo);
      const before = previous === undefined ? undefined : previous.#counts.get(name);
      if (before?.key === key) {
        this.#counts.set(name, before);
        this.progress.read += new Set(key.split('\n').map((line) => line.slice(line.indexOf('=') + 1))).size;
        return;
      }
      this.#counts.set(name, await this.#countRepository(facts, name, key, repo, signal));
    }, signal);
    const unique = new Map<Digest, number>();
    for (const counted of this.#counts.values()) for (const [digest, size] of counted.blobs) unique.set(digest, size);
    let total = 0;
    for (const size of unique.values()) total += size;
    this.#uniqueBytes = total;
  }

  async #countRepository(facts: ManifestFactsCache, name: string, key: string, repo: RepositoryListing, signal: AbortSignal): Promise<Counted> {
    const blobs = new Map<Digest, number>();
    let lastChange: Date | undefined;
    let problems = 0;
    let frontier = [...new Set([...repo.tags.values(), ...repo.untagged].map((d) => d.digest))];
    const seen = new Set<Digest>(frontier);
    for (let depth = 0; depth <= MAX_INDEX_DEPTH && frontier.length > 0; depth++) {
      const read = await readFacts(facts, name, frontier, signal);
      const next: Digest[] = [];
      for (const f of read) {
        this.progress.read++;
        if (f === undefined || f instanceof Error || f.problem !== undefined) {
          problems++;
          continue;
        }
        if (depth === 0 && f.modified && (!lastChange || f.modified > lastChange)) lastChange = f.modified;
        blobs.set(f.digest, f.size);
        for (const d of [...(f.config ? [f.config] : []), ...f.layers]) blobs.set(d.digest, d.size);
        for (const child of f.children) {
          if (seen.has(child.digest)) continue;
          seen.add(child.digest);
          next.push(child.digest);
          this.progress.total++;
        }
      }
      frontier = next;
    }
    let size = 0;
    for (const bytes of blobs.values()) size += bytes;
    return { key, size, lastChange, problems, blobs };
  }
}

/**
 * The current {@link StoreView}: a new one whenever the backend's listing
 * moves to another generation; the one being counted for an older
 * generation is stopped (what it read stays in the facts cache).
 */
export class StoreViews {
  readonly #backend: RegistryBackend;
  readonly #facts: ManifestFactsCache;
  #current: { view: StoreView; stop: AbortController } | undefined;

  constructor(backend: RegistryBackend, facts: ManifestFactsCache) {
    this.#backend = backend;
    this.#facts = facts;
  }

  async current(options: BackendCallOptions = {}): Promise<StoreView> {
    const listing = await storeListing(this.#backend, options);
    if (this.#current?.view.listing.generation === listing.generation) return this.#current.view;
    const previous = this.#current;
    previous?.stop.abort();
    const stop = new AbortController();
    // Counts of repositories the new generation left alone carry over, once the previous view finished them.
    const view = new StoreView(listing, this.#facts, stop.signal, previous?.view);
    this.#current = { view, stop };
    return view;
  }

  /** Stops counting (server shutdown). */
  close(): void {
    this.#current?.stop.abort();
  }
}
