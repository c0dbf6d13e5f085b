import { abortError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import type { Repository } from '../repository/repository.ts';

/**
 * Keeps a run's companions — attachments a run copies as items of their own
 * (cosign `.sig`/`.att`/`.sbom` tags, referrers) — behind their images: a
 * companion starts once every image of the run had its first attempt, and is
 * copied only when the manifest it is about is at the destination. A refused
 * or failed image so gets no signatures, attestations or SBOMs there.
 *
 * The run must list companions after every image (the run loop starts items
 * in order, so no companion can hold a slot an image waits for), and call
 * {@link imageSettled} once for each image's first attempt.
 */
export class CompanionGate {
  private remaining: number;
  private readonly done: Promise<void>;
  private release: () => void = () => undefined;

  constructor(images: number) {
    this.remaining = images;
    this.done = new Promise((resolve) => (this.release = resolve));
    if (images === 0) this.release();
  }

  /** One image of the run had its first attempt (copied, skipped, failed or refused). */
  imageSettled(): void {
    if (this.remaining > 0 && --this.remaining === 0) this.release();
  }

  /**
   * Waits for the run's images, then tells whether the manifest `subject` is
   * at `destination` (so the companion about it may follow).
   *
   * @throws FerryError `ABORTED` when the run stops while waiting.
   */
  async admit(subject: Digest, destination: Repository, signal: AbortSignal): Promise<boolean> {
    if (this.remaining > 0) {
      await new Promise<void>((resolve, reject) => {
        const stop = (): void => reject(abortError(signal));
        if (signal.aborted) return stop();
        signal.addEventListener('abort', stop, { once: true });
        void this.done.then(() => {
          signal.removeEventListener('abort', stop);
          resolve();
        });
      });
    }
    return (await destination.manifestHead(subject, { signal })) !== undefined;
  }
}

/** A run's items in the order the gate needs: images first, companions after, each group in its own order. */
export function imagesThenCompanions<I>(items: readonly I[], isCompanion: (item: I) => boolean): I[] {
  return [...items.filter((i) => !isCompanion(i)), ...items.filter(isCompanion)];
}

/** Why a companion was left out. */
export function companionLeftOut(subject: Digest, destination: string): string {
  return `not copied: the image it belongs to (${subject}) is not at ${destination}`;
}
