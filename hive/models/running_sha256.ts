/**
 * The sha256 a download computes as its bytes arrive, on the reading thread or on a
 * thread of its own.
 *
 * Hashing costs about as much CPU as receiving (0.7 ms/MiB with SHA-NI). On the reading
 * thread it makes that thread's CPU per MiB (1.6-1.9) bound a download to 530-660 MB/s
 * however many cores are idle, below curl's. On a thread of its own it is done while the
 * block is written, and the reading thread's 1.0-1.25 ms/MiB allows 800-1050 MB/s.
 * `deno task bench:pull`, 2 cores, the server a sendfile CDN as a remote one would be: hive
 * pulls at medians of 556-629 MB/s against 397-458 inline (curl: 691-739). Only when the
 * server shares the two cores (`--from-hub`) is the extra thread the slower (463 vs 515).
 */
import { createHash } from "node:crypto";
import { RbeeError } from "../../shared/errors.ts";

/** A sha256 being computed. `update`'s bytes must stay untouched until it settles. */
export interface RunningSha256 {
  update(bytes: Uint8Array): void | Promise<void>;
  /** The hex digest of everything added; ends the hash. */
  digest(): Promise<string>;
  /** Ends the hash without a digest (after a failure); harmless after `digest`. */
  close(): void;
}

/** Files this big or bigger get a hashing thread where the machine has cores to spare. */
export const HASH_THREAD_FROM_BYTES = 64 * 1024 * 1024;

/**
 * From what file size a download hashes on a thread of its own, or null for never: with
 * 2 or more cores, big files (a thread takes ~70 ms to start). Pure.
 */
export function hashThreadDefault(cores: number): number | null {
  return cores >= 2 ? HASH_THREAD_FROM_BYTES : null;
}

/** A sha256 for `bytes`-long content: on its own thread from `threadFromBytes` bytes, else inline. */
export function startSha256(bytes: number, threadFromBytes: number | null): RunningSha256 {
  return threadFromBytes !== null && bytes >= threadFromBytes ? new ThreadSha256() : inlineSha256();
}

function inlineSha256(): RunningSha256 {
  const hash = createHash("sha256");
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => Promise.resolve(hash.digest("hex")),
    close: () => {},
  };
}

/**
 * A sha256 computed by a worker thread (sha256_worker.ts). The bytes go over as views of a
 * SharedArrayBuffer, not copies: the worker reads them while the file write reads them too.
 */
export class ThreadSha256 implements RunningSha256 {
  readonly #worker: Worker;
  /** Answers arrive in the order the requests were posted. */
  readonly #waiting: { resolve(value: unknown): void; reject(err: unknown): void }[] = [];
  #failure: Error | null = null;

  /** `module` is the worker's code; another one only in tests, to make the thread fail. */
  constructor(module = new URL("./sha256_worker.ts", import.meta.url)) {
    this.#worker = new Worker(module, { type: "module" });
    this.#worker.onmessage = ({ data }) => this.#waiting.shift()?.resolve(data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      // Not a network failure to retry: a bug or a broken install (a binary without the worker module).
      this.#fail(new RbeeError("INTERNAL", `The sha256 thread of a download failed: ${event.message}`));
    };
  }

  update(bytes: Uint8Array): Promise<void> {
    if (!(bytes.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError("A sha256 thread hashes views of a SharedArrayBuffer only");
    }
    return this.#ask(bytes) as Promise<void>;
  }

  async digest(): Promise<string> {
    try {
      return await this.#ask(null) as string;
    } finally {
      this.close();
    }
  }

  close(): void {
    this.#worker.terminate();
    this.#fail(new Error("The sha256 thread was closed"));
  }

  #ask(message: Uint8Array | null): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(err);
  }
}
