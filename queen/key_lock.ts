/**
 * First-come-first-served slots by key: up to `slots` requests for the same
 * placement run at once (its workers' slots, learned with `setSlots`), the rest
 * wait in arrival order in a bounded queue; once that is full a request is
 * refused at once with ALL_SLOTS_BUSY and a retry hint. Different keys never
 * wait for each other.
 */
import { RbeeError } from "../shared/errors.ts";

/** Options for {@link KeyLock}. */
export interface KeyLockOptions {
  /** Holders per key at once until `setSlots` says otherwise (default 1). */
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
  readonly #slots = new Map<string, number>();
  constructor(private readonly opts: KeyLockOptions = {}) {}

  /** Holders `key` allows at once. */
  slots(key: string): number {
    return this.#slots.get(key) ?? this.opts.slots ?? 1;
  }

  /** Sets how many holders `key` allows (at least 1); a larger number lets waiters in at once. */
  setSlots(key: string, slots: number): void {
    this.#slots.set(key, Math.max(1, Math.floor(slots)));
    const st = this.#keys.get(key);
    while (st && st.waiting.length && st.running < this.slots(key)) {
      st.running++;
      st.waiting.shift()!.grant();
    }
  }

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
    if (st.running < this.slots(key)) {
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
      // The slot passes straight to the next waiter, unless the key now allows fewer holders.
      const next = st.running <= this.slots(key) ? st.waiting.shift() : undefined;
      if (next) return next.grant();
      st.running--;
      if (st.running === 0 && this.#keys.get(key) === st) this.#keys.delete(key);
    };
  }
}
