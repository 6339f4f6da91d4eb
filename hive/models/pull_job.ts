/**
 * Sharing one in-flight job among concurrent callers, and thinning its progress
 * events to what a person can follow.
 */

/** A progress sink. */
export type Emit<P> = (p: P) => void;

/** The fields of a progress event that decide whether it is worth sending. */
export interface ProgressLike {
  stage: string;
  file?: string;
  bytes_done?: number;
  bytes_total?: number;
}

interface Job<T, P> {
  promise: Promise<T>;
  listeners: Set<Emit<P>>;
  waiters: number;
  controller: AbortController;
}

const jobs = new Map<string, Job<unknown, unknown>>();

/**
 * Runs `start` once per `key` among concurrent callers. Every caller receives the
 * progress events; a caller that aborts leaves alone, and the job is aborted only
 * when no caller is left waiting for it.
 */
export function shareJob<T, P>(
  key: string,
  start: (signal: AbortSignal, emit: Emit<P>) => Promise<T>,
  caller: { onProgress?: Emit<P>; signal?: AbortSignal },
): Promise<T> {
  if (caller.signal?.aborted) return Promise.reject(caller.signal.reason);
  let job = jobs.get(key) as Job<T, P> | undefined;
  if (!job) {
    const controller = new AbortController();
    const listeners = new Set<Emit<P>>();
    const emit = (p: P) => listeners.forEach((listener) => listener(p));
    // Started on the next microtask, so the first caller's listener sees the first event.
    const promise = Promise.resolve().then(() => start(controller.signal, emit));
    const created: Job<T, P> = { promise, listeners, waiters: 0, controller };
    promise.finally(() => forget(key, created)).catch(() => {});
    jobs.set(key, created as Job<unknown, unknown>);
    job = created;
  }
  return join(key, job, caller);
}

function join<T, P>(key: string, job: Job<T, P>, caller: { onProgress?: Emit<P>; signal?: AbortSignal }) {
  // A wrapper per caller, so the same callback passed twice is still two listeners.
  const listener: Emit<P> = (p) => caller.onProgress?.(p);
  job.waiters++;
  job.listeners.add(listener);
  return new Promise<T>((resolve, reject) => {
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      caller.signal?.removeEventListener("abort", onAbort);
      job.listeners.delete(listener);
      job.waiters--;
    };
    const onAbort = () => {
      leave();
      const reason = caller.signal?.reason;
      if (job.waiters > 0) return reject(reason);
      // A later caller must start afresh instead of joining a job being torn down.
      forget(key, job);
      job.controller.abort(reason);
      // The last caller waits for the clean-up, so nothing is left behind once it returns.
      job.promise.then(() => reject(reason), () => reject(reason));
    };
    caller.signal?.addEventListener("abort", onAbort, { once: true });
    job.promise.then((value) => (leave(), resolve(value)), (err) => (leave(), reject(err)));
  });
}

function forget<T, P>(key: string, job: Job<T, P>): void {
  if (jobs.get(key) === (job as Job<unknown, unknown>)) jobs.delete(key);
}

/**
 * Whether `next` is worth sending after `last` (sent at `lastAt`): stage changes and
 * completions always, byte counts once per interval, whichever file they are about (the
 * files of a model download side by side, so the file alone changes all the time).
 */
export function shouldEmit(
  last: ProgressLike | null,
  lastAt: number,
  next: ProgressLike,
  now: number,
  intervalMs: number,
): boolean {
  if (!last || last.stage !== next.stage) return true;
  if (next.bytes_total !== undefined && next.bytes_done === next.bytes_total) return true;
  return now - lastAt >= intervalMs;
}

/** Wraps `emit` so that byte counts go out at most every `intervalMs`. */
export function throttleProgress<P extends ProgressLike>(
  emit: Emit<P>,
  intervalMs = 250,
  now: () => number = Date.now,
): Emit<P> {
  let last: P | null = null;
  let lastAt = 0;
  return (p) => {
    const t = now();
    if (!shouldEmit(last, lastAt, p, t, intervalMs)) return;
    last = p;
    lastAt = t;
    emit(p);
  };
}

/** Lets at most `limit` tasks run at once; the others wait in order (or leave when aborted). */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Runs `task` once a slot is free. */
  async run<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await this.#wait(signal);
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }

  #wait(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const wake = () => (signal?.removeEventListener("abort", onAbort), resolve());
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(wake), 1);
        reject(signal!.reason);
      };
      this.#waiting.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * Runs `task` for each item, at most `limit` at once, in order of the list. The first
 * failure aborts the other tasks (through the signal they are given) and is thrown once
 * all of them have stopped, so that nothing goes on running after this returns.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  task: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const failed = new AbortController();
  const stop = AbortSignal.any([signal, failed.signal]);
  let next = 0;
  const runner = async () => {
    while (next < items.length && !stop.aborted) {
      const item = items[next++];
      try {
        await task(item, stop);
      } catch (err) {
        failed.abort(err); // Only the first abort counts: its reason is the first failure.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  if (failed.signal.aborted) throw failed.signal.reason;
  signal.throwIfAborted();
}
