/**
 * Shows a model pull's progress on stderr, for `rbee models pull` and for `rbee infer`
 * waiting on a pull: a bar redrawn in place on a terminal, plain lines at each new stage
 * and every few seconds otherwise (logs, CI), so that neither floods.
 */
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { progressLine } from "../shared/pull_progress_text.ts";
import { barLine, barWidthFor, PlainThrottle } from "./models_progress.ts";

const encoder = new TextEncoder();

export class PullProgressView {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #throttle = new PlainThrottle();
  /** A bar is on the current line: it must be ended before anything else is printed. */
  #barShown = false;

  /** `prefix` starts every line, e.g. `model: ` where stdout carries something else. */
  constructor(readonly prefix = "") {}

  show(p: PullProgressEvent): void {
    if (this.#tty) {
      const width = barWidthFor(Deno.consoleSize().columns) - this.prefix.length;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${this.prefix}${barLine(p, width)}`));
      this.#barShown = true;
    } else if (this.#throttle.shouldPrint(p, Date.now())) {
      console.error(`${this.prefix}${progressLine(p)}`);
    }
  }

  /** Leaves the bar's line as it is and moves on; harmless when none is shown. */
  end(): void {
    if (!this.#barShown) return;
    Deno.stderr.writeSync(encoder.encode("\n"));
    this.#barShown = false;
  }
}
