/**
 * First-come-first-served locks by key: requests for the same placement run
 * one after another (a worker has one slot), different placements in parallel.
 */

/** A FIFO mutex per key. */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for the key; resolves with the function that releases it. Rejects if `signal` aborts first. */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const mine = Promise.withResolvers<void>();
    const tail = previous.then(() => mine.promise);
    this.#tails.set(key, tail);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      mine.resolve();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    if (signal) {
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
      try {
        await Promise.race([previous, aborted]);
      } catch (err) {
        release();
        throw err;
      }
    } else {
      await previous;
    }
    return release;
  }
}
