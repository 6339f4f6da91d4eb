/**
 * Speed and time left of a transfer, from the bytes done over a sliding window,
 * so that a burst or a pause moves the figures without making them jump.
 */
import type { HubFile } from "./hub_client.ts";
import type { Emit } from "./pull_job.ts";
import type { PullProgress } from "./pull.ts";

/** Speed in bytes/s and seconds left (null while unknown). */
export interface Rate {
  speed_bps: number | null;
  eta_s: number | null;
}

/** Below this span the figures are noise: a 23-byte file fetched in 10 ms is not a speed. */
export const MIN_SPAN_MS = 500;

/**
 * Samples closer together than this are not kept: a fast download updates the meter for
 * every read (10,000 times a second at 600 MB/s), and a window of every one of them grew
 * to tens of thousands of entries, each update shifting them all.
 */
export const SAMPLE_EVERY_MS = 50;

/** Estimates a transfer's rate over the last `windowMs`. */
export class ProgressMeter {
  readonly #samples: { at: number; done: number }[] = [];

  constructor(
    readonly total: number,
    readonly windowMs = 3000,
    readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** How many samples the window holds: at most one per SAMPLE_EVERY_MS, and two. */
  get samples(): number {
    return this.#samples.length;
  }

  /** Records that `done` bytes are complete and returns the rate so far. */
  update(done: number): Rate {
    const at = this.now();
    const last = this.#samples.at(-1);
    if (!last || at - last.at >= SAMPLE_EVERY_MS) this.#samples.push({ at, done });
    while (this.#samples.length > 2 && at - this.#samples[1].at >= this.windowMs) this.#samples.shift();
    return rateOf(this.#samples[0], { at, done }, this.total);
  }
}

/** The rate between two samples; pure. */
export function rateOf(
  from: { at: number; done: number },
  to: { at: number; done: number },
  total: number,
): Rate {
  const ms = to.at - from.at;
  const left = Math.max(0, total - to.done);
  if (ms < MIN_SPAN_MS) return { speed_bps: null, eta_s: left === 0 ? 0 : null };
  const speed = Math.max(0, ((to.done - from.done) * 1000) / ms);
  if (left === 0) return { speed_bps: Math.round(speed), eta_s: 0 };
  return { speed_bps: Math.round(speed), eta_s: speed > 0 ? Math.ceil(left / speed) : null };
}

/** Adds whole-pull totals, speed and time left to each file's progress. */
export class TotalProgress {
  readonly total: number;
  readonly #meter: ProgressMeter;
  /** Bytes done per file: files download side by side. */
  readonly #doneByFile = new Map<string, number>();
  #done = 0;

  constructor(
    files: HubFile[],
    readonly emit: Emit<PullProgress>,
    now: () => number = performance.now.bind(performance),
  ) {
    this.total = files.reduce((n, f) => n + f.size, 0);
    this.#meter = new ProgressMeter(this.total, 3000, now);
  }

  /** Sends one file's progress with the totals (over all the files) added. */
  report(p: PullProgress & { file: string; bytes_done: number; bytes_total: number }): void {
    this.#done += p.bytes_done - (this.#doneByFile.get(p.file) ?? 0);
    this.#doneByFile.set(p.file, p.bytes_done);
    const done = this.#done;
    const rate = this.#meter.update(done);
    this.emit({
      ...p,
      total_done: done,
      total_bytes: this.total,
      ...(rate.speed_bps !== null && { speed_bps: rate.speed_bps }),
      ...(rate.eta_s !== null && { eta_s: rate.eta_s }),
    });
  }
}
