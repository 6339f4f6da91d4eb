/**
 * The stall detector of one download attempt: its signal aborts the request when
 * no byte arrived for `stallMs` (a stall), or when the caller aborts.
 */
import { RbeeError } from "../../shared/errors.ts";

/** Aborts its signal when no byte arrived for `stallMs`, or when the caller aborts. */
export class Watchdog {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  #last = performance.now();
  #timer: ReturnType<typeof setInterval>;
  stalled = false;

  constructor(readonly stallMs: number, readonly where: Record<string, string>, parent?: AbortSignal) {
    this.signal = parent ? AbortSignal.any([parent, this.#controller.signal]) : this.#controller.signal;
    this.#timer = setInterval(() => {
      if (performance.now() - this.#last < stallMs) return;
      this.stalled = true;
      this.#controller.abort(this.stallError(0));
    }, Math.max(10, Math.min(1000, stallMs / 4)));
  }

  /** A byte arrived: the stall clock starts again. */
  kick(): void {
    this.#last = performance.now();
  }

  /** The DOWNLOAD_STALLED error, with the bytes received so far when known. */
  stallError(bytesDone: number): RbeeError {
    const seconds = (this.stallMs / 1000).toFixed(this.stallMs < 1000 ? 1 : 0);
    return new RbeeError(
      "DOWNLOAD_STALLED",
      `Download of '${this.where.file}' for '${this.where.ref}' stalled: no data for ${seconds} s`,
      { ...this.where, stall_ms: this.stallMs, ...(bytesDone > 0 && { bytes_done: bytesDone }) },
    );
  }

  /** Stops the timer. */
  dispose(): void {
    clearInterval(this.#timer);
  }
}
