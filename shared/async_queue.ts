/**
 * A push-based async iterable: a producer pushes items (and finally ends it,
 * possibly with an error), a consumer iterates at its own pace.
 */

/** An unbounded single-consumer queue that is also an async iterable. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiting: PromiseWithResolvers<void> | null = null;
  #done = false;
  #error: unknown = undefined;

  /** Adds an item (ignored once ended). */
  push(item: T): void {
    if (this.#done) return;
    this.#items.push(item);
    this.#wake();
  }

  /** Ends the queue; the consumer sees `error` after the remaining items, if given. */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#wake();
  }

  #wake() {
    this.#waiting?.resolve();
    this.#waiting = null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      if (this.#items.length) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      this.#waiting = Promise.withResolvers<void>();
      await this.#waiting.promise;
    }
  }
}
