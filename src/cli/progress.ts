import type { CopyEvent } from '../copy/events.ts';
import type { Output } from './output.ts';
import { formatBytes } from '../util/size.ts';

export { formatBytes };

/** How often a non-terminal gets a progress line (skopeo prints nothing for minutes: its issue 658). */
const LINE_INTERVAL_MS = 5_000;

/** The line interval: `FERRY_PROGRESS_INTERVAL` (seconds, fractions allowed) when it is a positive number, else the default. */
export function lineIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env['FERRY_PROGRESS_INTERVAL']);
  return Number.isFinite(seconds) && seconds > 0 ? Math.max(10, seconds * 1000) : LINE_INTERVAL_MS;
}
/** How often a terminal redraws. */
const TTY_INTERVAL_MS = 200;
/** Throttle for --json progress records per blob. */
const JSON_INTERVAL_MS = 1_000;

/** A 24-column progress bar for a fraction in [0, 1]. */
function bar(fraction: number): string {
  const width = 24;
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}]`;
}

const short = (digest: string): string => digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);

interface Active {
  /** The image the blob is going to (the destination's display name). */
  image: string;
  size: number;
  done: number;
  started: number;
}

/**
 * Renders copy events: redrawn bars on a terminal, periodic plain lines
 * otherwise, throttled records with --json, nothing with -q. Totals can be
 * widened by the caller (sync knows its plan up front).
 */
export class ProgressRenderer {
  private readonly output: Output;
  private readonly active = new Map<string, Active>();
  private bytes = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private readonly lastJson = new Map<string, number>();
  /** Extra headline from the caller (e.g. "images 12/80"). */
  headline: () => string = () => '';
  /** Overall completion drawn as a bar on a terminal (sync: images done of planned). */
  overall: (() => { done: number; total: number }) | undefined;

  constructor(output: Output) {
    this.output = output;
    const { quiet, json, tty } = output.mode;
    if (!quiet && !json) {
      this.timer = setInterval(() => (tty ? this.redraw() : this.line()), tty ? TTY_INTERVAL_MS : lineIntervalMs());
      this.timer.unref();
    }
  }

  readonly listener = (event: CopyEvent): void => {
    const { json, quiet } = this.output.mode;
    switch (event.type) {
      case 'blob-start':
        this.active.set(event.digest, { image: event.destination, size: event.size, done: 0, started: Date.now() });
        break;
      case 'blob-progress': {
        this.bytes += event.bytes;
        const a = this.active.get(event.digest);
        if (a) a.done += event.bytes;
        if (json) {
          const now = Date.now();
          if (now - (this.lastJson.get(event.digest) ?? 0) >= JSON_INTERVAL_MS) {
            this.lastJson.set(event.digest, now);
            this.output.record({ event: 'blob-progress', digest: event.digest, bytes: a?.done ?? 0, size: a?.size });
          }
        }
        return;
      }
      case 'blob-done':
        this.active.delete(event.digest);
        this.lastJson.delete(event.digest);
        break;
      default:
        break;
    }
    if (json) {
      this.output.record({ event: event.type, ...event, type: undefined });
      return;
    }
    if (quiet) return;
    const message = this.describe(event);
    if (message !== undefined) this.print(message);
  };

  private describe(event: CopyEvent): string | undefined {
    switch (event.type) {
      case 'image-start':
        return `Copying ${event.source} → ${event.destination}`;
      // In a parallel run lines of many images interleave: each names its image.
      case 'blob-done':
        return event.outcome === 'uploaded' ? undefined : `  ${event.destination}: blob ${short(event.digest)} ${event.outcome === 'exists' ? 'already present' : event.outcome} (${formatBytes(event.size)})`;
      case 'manifest-written':
        return `  ${event.destination}: wrote manifest ${event.digest}${event.reference === event.digest || event.destination.endsWith(`:${event.reference}`) ? '' : ` as ${event.reference}`}`;
      case 'retry':
        return `  ${event.image ? `${event.image}: ` : ''}retrying ${event.what} (attempt ${event.attempt}, in ${(event.delayMs / 1000).toFixed(1)} s): ${event.reason}`;
      case 'warning':
        return `  ${event.image ? `${event.image}: ` : ''}warning: ${event.message}`;
      default:
        return undefined;
    }
  }

  private print(message: string): void {
    if (this.output.mode.tty) this.clear();
    this.output.info(message);
    if (this.output.mode.tty) this.redraw();
  }

  private clear(): void {
    if (this.drawnLines > 0) this.output.terminal(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private rate(): string {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? `${formatBytes(this.bytes / seconds)}/s` : '';
  }

  private redraw(): void {
    this.clear();
    const lines: string[] = [];
    const now = Date.now();
    for (const [digest, a] of [...this.active].slice(0, 8)) {
      const seconds = (now - a.started) / 1000;
      const rate = seconds > 0.2 ? `  ${formatBytes(a.done / seconds)}/s` : '';
      lines.push(`  ${a.image} ${short(digest)} ${bar(a.size > 0 ? a.done / a.size : 1)} ${formatBytes(a.done)} / ${formatBytes(a.size)}${rate}`);
    }
    const head = this.headline();
    const overall = this.overall?.();
    lines.push(`${overall && overall.total > 0 ? `${bar(overall.done / overall.total)} ` : ''}${head ? `${head}  ` : ''}${formatBytes(this.bytes)} transferred ${this.rate()}`);
    this.output.terminal(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  private line(): void {
    if (this.active.size === 0 && this.bytes === 0) return;
    const head = this.headline();
    this.output.info(`progress: ${head ? `${head}, ` : ''}${formatBytes(this.bytes)} transferred, ${this.rate()}, ${this.active.size} blobs in flight`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.output.mode.tty) this.clear();
  }
}

/**
 * Counts images for a run's headline ("images 12/80, ETA 40 s") and overall
 * bar; `total` is set when the plan is known, `finished` per image result.
 */
export function imageCounter(progress: ProgressRenderer): { total(n: number): void; finished(): void } {
  let total = 0;
  let done = 0;
  const started = Date.now();
  progress.overall = () => ({ done, total });
  progress.headline = () => {
    if (total === 0) return 'planning';
    // ETA from the pace of finished images: sizes vary, but it is honest about what it knows.
    const eta = done > 0 && done < total ? Math.round((((Date.now() - started) / done) * (total - done)) / 1000) : undefined;
    return `images ${done}/${total}${eta !== undefined ? `, ETA ${eta < 90 ? `${eta} s` : `${Math.round(eta / 60)} min`}` : ''}`;
  };
  return {
    total: (n) => void (total = n),
    finished: () => void done++,
  };
}
