import type { RetryEvent } from '../util/retry.ts';

/** Anything a session closes when it ends. */
export interface Closeable {
  close(): Promise<void>;
}

interface Shared {
  value: unknown;
  dispose: ((value: never) => Promise<void> | void) | undefined;
}

/**
 * What the images opened during one run share: registry connections and
 * tokens, opened layout stores, a daemon connection. Each transport keeps its
 * shared resource here under its own key (`docker`, `oci:/srv/mirror`), so a
 * sync of a thousand images opens each of them once. Every target opened
 * in a session is closed with it (closing one earlier is harmless: close is
 * idempotent), then the shared resources. Without a session a target owns
 * what it opens and its `repository.close()` releases it.
 */
export class OpenSession {
  /** Told about every retried request of the transports opened in this session. */
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #shared = new Map<string, Shared>();
  readonly #opened = new Set<Closeable>();
  #closed = false;

  constructor(options: { onRetry?: ((event: RetryEvent) => void) | undefined } = {}) {
    this.onRetry = options.onRetry;
  }

  /**
   * The resource kept under `key`, made by `create` on its first use. A
   * rejected promise stays cached: the run sees the same failure each time.
   * `dispose` runs once, at {@link close}.
   */
  shared<T>(key: string, create: () => T, dispose?: (value: T) => Promise<void> | void): T {
    const known = this.#shared.get(key);
    if (known) return known.value as T;
    if (this.#closed) throw new Error(`session closed: cannot open ${key}`);
    const value = create();
    this.#shared.set(key, { value, dispose: dispose as Shared['dispose'] });
    return value;
  }

  /** Closes `target` with the session (targets first, then the shared resources they use). */
  track(target: Closeable): void {
    this.#opened.add(target);
  }

  /** Releases every target and shared resource, newest first; one that fails to close does not keep the others open. */
  async close(): Promise<void> {
    this.#closed = true;
    const opened = [...this.#opened].reverse();
    this.#opened.clear();
    for (const target of opened) await target.close().catch(() => undefined);
    const all = [...this.#shared.values()].reverse();
    this.#shared.clear();
    for (const { value, dispose } of all) await Promise.resolve(dispose?.(value as never)).catch(() => undefined);
  }
}
