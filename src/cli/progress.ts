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
        this.active.set(event.digest, { size: event.size, done: 0, started: Date.now() });
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
      case 'blob-done':
        return event.outcome === 'uploaded' ? undefined : `  blob ${short(event.digest)} ${event.outcome === 'exists' ? 'already present' : event.outcome} (${formatBytes(event.size)})`;
      case 'manifest-written':
        return `  wrote manifest ${event.digest} as ${event.reference}`;
      case 'retry':
        return `  retrying ${event.what} (attempt ${event.attempt}, in ${(event.delayMs / 1000).toFixed(1)} s): ${event.reason}`;
      case 'warning':
        return `  warning: ${event.message}`;
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
    if (this.drawnLines > 0) process.stderr.write(`\x1b[${this.drawnLines}A\x1b[J`);
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
      lines.push(`  ${short(digest)} ${bar(a.size > 0 ? a.done / a.size : 1)} ${formatBytes(a.done)} / ${formatBytes(a.size)}${rate}`);
    }
    const head = this.headline();
    const overall = this.overall?.();
    lines.push(`${overall && overall.total > 0 ? `${bar(overall.done / overall.total)} ` : ''}${head ? `${head}  ` : ''}${formatBytes(this.bytes)} transferred ${this.rate()}`);
    process.stderr.write(`${lines.join('\n')}\n`);
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
