/**
 * Speed and time left of a transfer, from the bytes done over a sliding window,
 * so that a burst or a pause moves the figures without making them jump.
 */

/** Speed in bytes/s and seconds left (null while unknown). */
export interface Rate {
  speed_bps: number;
  eta_s: number | null;
}

/** Estimates a transfer's rate over the last `windowMs`. */
export class ProgressMeter {
  readonly #samples: { at: number; done: number }[] = [];

  constructor(
    readonly total: number,
    readonly windowMs = 3000,
    readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Records that `done` bytes are complete and returns the rate so far. */
  update(done: number): Rate {
    const at = this.now();
    this.#samples.push({ at, done });
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
  const speed = ms > 0 ? Math.max(0, ((to.done - from.done) * 1000) / ms) : 0;
  const left = Math.max(0, total - to.done);
  if (left === 0) return { speed_bps: Math.round(speed), eta_s: 0 };
  return { speed_bps: Math.round(speed), eta_s: speed > 0 ? Math.ceil(left / speed) : null };
}
