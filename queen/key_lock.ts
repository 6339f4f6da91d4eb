/**
 * First-come-first-served slots by key: up to `slots` requests for the same
 * placement run at once (a worker's slots), the rest wait in arrival order in
 * a bounded queue; once that is full a request is refused at once with
 * ALL_SLOTS_BUSY and a retry hint. Different keys never wait for each other.
 */
import { RbeeError } from "../shared/errors.ts";

/** Options for {@link KeyLock}. */
export interface KeyLockOptions {
  /** Holders per key at once (default 1). */
  slots?: number;
  /** Waiters per key before refusing (default unbounded). */
  maxWaiting?: number;
  /** Seconds a refused caller is told to wait (default 1). */
  retryAfterS?: number;
}

interface Waiter {
  grant(): void;
}

interface KeyState {
  running: number;
  waiting: Waiter[];
}

/** A bounded FIFO semaphore per key. */
export class KeyLock {
  readonly #keys = new Map<string, KeyState>();
  constructor(private readonly opts: KeyLockOptions = {}) {}

  /** Requests waiting for `key` right now. */
  waiting(key: string): number {
    return this.#keys.get(key)?.waiting.length ?? 0;
  }

  /**
   * Waits for a slot of `key`; resolves with the function that gives it back.
   * Rejects with ALL_SLOTS_BUSY when the queue is full, or if `signal` aborts first.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const st = this.#keys.get(key) ?? { running: 0, waiting: [] };
    this.#keys.set(key, st);
    if (st.running < (this.opts.slots ?? 1)) {
      st.running++;
      return this.#releaser(key, st);
    }
    const max = this.opts.maxWaiting ?? Infinity;
    if (st.waiting.length >= max) {
      const retry = this.opts.retryAfterS ?? 1;
      throw new RbeeError(
        "ALL_SLOTS_BUSY",
        `Every slot for this model is busy and ${max} requests are waiting`,
        {
          retry_after_s: retry,
          waiting: st.waiting.length,
        },
      );
    }
    const granted = Promise.withResolvers<void>();
    const waiter: Waiter = { grant: () => granted.resolve() };
    st.waiting.push(waiter);
    const onAbort = () => {
      const i = st.waiting.indexOf(waiter);
      if (i >= 0) st.waiting.splice(i, 1);
      granted.reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await granted.promise; // the releaser that granted it already counted it as running
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    return this.#releaser(key, st);
  }

  #releaser(key: string, st: KeyState): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = st.waiting.shift();
      if (next) return next.grant(); // the slot passes straight to the next waiter
      st.running--;
      if (st.running === 0 && this.#keys.get(key) === st) this.#keys.delete(key);
    };
  }
}
