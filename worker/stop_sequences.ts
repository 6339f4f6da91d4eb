/**
 * Stop sequences over streamed text: text is released only once it cannot be
 * the start of a stop sequence, so a client never sees part of one.
 */

/** What to emit after pushing more text, and whether a stop sequence was hit. */
export interface StopCheck {
  emit: string;
  stopped: boolean;
}

/** Tracks streamed text against a set of stop sequences. */
export class StopMatcher {
  #pending = "";
  constructor(private readonly stops: readonly string[]) {}

  /** Adds generated text; returns what is safe to emit now. */
  push(text: string): StopCheck {
    const buffer = this.#pending + text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#pending = "";
      return { emit: buffer.slice(0, cut), stopped: true };
    }
    const hold = this.#heldSuffixLength(buffer);
    this.#pending = buffer.slice(buffer.length - hold);
    return { emit: buffer.slice(0, buffer.length - hold), stopped: false };
  }

  /** Releases held-back text once generation ends without a stop. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return rest;
  }

  /** Length of the longest suffix of `buffer` that starts some stop sequence. */
  #heldSuffixLength(buffer: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, buffer.length); n > longest; n--) {
        if (buffer.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
