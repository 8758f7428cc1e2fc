import type { RepriceProgress } from './reprice.js';

/** Least time between two redraws of the bar on a terminal (ms). */
const REDRAW_EVERY_MS = 100;
/** Cells of the bar. */
const BAR_WIDTH = 30;
/** Off a terminal, a line each time progress crosses another multiple of this (percent). */
const PLAIN_STEP_PERCENT = 10;

/** Where progress is drawn: a stream with, on a terminal, `isTTY` and `columns`. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const count = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => `${n < 0 ? '-' : '+'}$${Math.abs(n).toFixed(6)}`;

/** `45%` of a run; 100% for an empty one. */
function percent(p: RepriceProgress): number {
  return p.total === 0 ? 100 : Math.min(100, Math.floor((p.scanned / p.total) * 100));
}

/** One line describing `p`, with a bar when `bar` is set. */
export function progressLine(p: RepriceProgress, bar: boolean): string {
  const pct = percent(p);
  const figures = `${count(p.scanned)}/${count(p.total)} calls, ${count(p.repriced)} re-priced, ${usd(p.costDeltaUsd)}`;
  if (!bar) return `reprice: ${pct}% ${figures}`;
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  return `reprice [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}% ${figures}`;
}

/**
 * Draws re-pricing progress on `stream`: on a terminal a bar redrawn in place (at most
 * every 100 ms), elsewhere (a log file, CI) a plain line at every 10% so logs stay short.
 *
 * @example
 * const progress = progressReporter(process.stderr);
 * await repriceCalls(engine, { ...range, onProgress: progress.update });
 * progress.finish();
 */
export function progressReporter(
  stream: ProgressStream,
  now: () => number = Date.now,
): { update: (p: RepriceProgress) => void; finish: () => void } {
  const tty = stream.isTTY === true;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let lastStep = -1;
  let latest: RepriceProgress | undefined;
  let drawn = false;
  const draw = (p: RepriceProgress): void => {
    let line = progressLine(p, true);
    const width = stream.columns ?? 0;
    if (width > 1 && line.length >= width) line = line.slice(0, width - 1);
    // Clear to the end of the line: a shorter line never leaves the old one's tail.
    stream.write(`\r${line}\u001b[K`);
    drawn = true;
  };
  return {
    update(p) {
      latest = p;
      if (tty) {
        const t = now();
        if (t - drawnAt >= REDRAW_EVERY_MS || p.scanned >= p.total) {
          drawnAt = t;
          draw(p);
        }
        return;
      }
      const step = Math.floor(percent(p) / PLAIN_STEP_PERCENT);
      if (step > lastStep) {
        lastStep = step;
        stream.write(`${progressLine(p, false)}\n`);
      }
    },
    finish() {
      if (tty && latest !== undefined) {
        draw(latest);
        if (drawn) stream.write('\n');
      }
    },
  };
}
