/**
 * Where a download's bytes go as they arrive: into its sha256 and onto the end of its
 * part file. Either on the reading thread (hash, then Deno's asynchronous write), or on a
 * worker thread that does both, so that the reading thread only reads.
 *
 * Why a thread (`deno task bench:pull`, 2 cores, served by a sendfile CDN as a remote hub
 * would be): hashing costs about as much CPU as receiving (0.7 ms/MiB with SHA-NI). On the
 * reading thread it held hive pulls to medians of 370-458 MB/s against curl's 691-752.
 * Hashing on a worker while Deno's pool wrote made 556-629; hashing and writing on one
 * worker, one busy thread fewer on two cores, 653-666 (best rounds 689-774, curl's
 * 794-795); with reads copied to the blocks at their alignment (block_reader.ts), 654-695
 * against curl's 607-710 in the same runs (93-115%). A worker takes ~70 ms to start: small
 * files stay inline.
 *
 * Both are fail-stop: after a failed write nothing more is written, since a later block
 * written after a failed one would leave a gap that the next attempt would resume after.
 */
import { createHash } from "node:crypto";
import { RbeeError } from "../../shared/errors.ts";
import { DiskError, onDisk, writeFully } from "./disk_write.ts";
import type { PartWriterAnswer, PartWriterRequest } from "./part_writer_worker.ts";

/** A download's sink. The bytes given stay untouched until their promise settles. */
export interface PartWriter {
  /** Hashes `bytes` and appends them to the part; a disk failure rejects with DiskError. */
  append(bytes: Uint8Array): Promise<void>;
  /** Hashes bytes that are already in the part (those of a resumed download). */
  hashOnly(bytes: Uint8Array): Promise<void>;
  /** Closes the part; the hex sha256 of everything hashed. */
  finish(): Promise<string>;
  /** Closes the part after a failure; harmless after `finish`. */
  abort(): void;
}

/** Files this big or bigger get a thread of their own where the machine has two cores or more. */
export const THREAD_FROM_BYTES = 64 * 1024 * 1024;

/**
 * From what file size a download gets a thread of its own, or null for never. Pure.
 * On one core a thread only adds work: pinned to one CPU (`taskset -c 0`, 256 MiB), hive
 * pulls ran at 468 MB/s inline and 402 with the thread.
 */
export function threadDefault(cores: number): number | null {
  return cores >= 2 ? THREAD_FROM_BYTES : null;
}

/**
 * Opens the part file at `path` for a `size`-byte download, truncated when `offset` is 0,
 * else to append after `offset` bytes; on a thread of its own from `threadFromBytes`.
 */
export async function openPartWriter(
  path: string,
  offset: number,
  size: number,
  threadFromBytes: number | null,
): Promise<PartWriter> {
  const append = offset > 0;
  const onThread = threadFromBytes !== null && size >= threadFromBytes;
  return onThread ? await ThreadPartWriter.open(path, append) : await inlinePartWriter(path, append);
}

async function inlinePartWriter(path: string, append: boolean): Promise<PartWriter> {
  const part = await onDisk(() => Deno.open(path, { write: true, create: true, append, truncate: !append }));
  const hash = createHash("sha256");
  let failure: unknown = null;
  let open = true;
  // Requests run one after the other, in the order given, as on the thread.
  let tail: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(step: () => Promise<T>): Promise<T> => {
    const run = tail.then(() => {
      if (failure) throw failure;
      return step();
    });
    tail = run.catch((err) => (failure ??= err));
    return run;
  };
  const close = () => {
    if (open) part.close();
    open = false;
  };
  return {
    append: (bytes) =>
      inOrder(async () => {
        hash.update(bytes);
        await writeFully(part, bytes);
      }),
    hashOnly: (bytes) => inOrder(() => Promise.resolve(void hash.update(bytes))),
    finish: () =>
      inOrder(() => {
        close();
        return Promise.resolve(hash.digest("hex"));
      }),
    abort: close,
  };
}

/**
 * A part written by a worker thread (part_writer_worker.ts). Blocks go over as views of a
 * SharedArrayBuffer, not copies: the worker reads them where the reading thread left them.
 */
export class ThreadPartWriter implements PartWriter {
  readonly #worker: Worker;
  /** Answers arrive in the order the requests were posted. */
  readonly #waiting: { resolve(answer: PartWriterAnswer): void; reject(err: unknown): void }[] = [];
  #failure: Error | null = null;

  /** Opens the part on a new thread; `module` is the worker's code (another one only in tests). */
  static async open(
    path: string,
    append: boolean,
    module = new URL("./part_writer_worker.ts", import.meta.url),
  ): Promise<ThreadPartWriter> {
    const writer = new ThreadPartWriter(module);
    try {
      await writer.#ask({ open: path, append });
      return writer;
    } catch (err) {
      writer.abort();
      throw err;
    }
  }

  private constructor(module: URL) {
    this.#worker = new Worker(module, { type: "module" });
    this.#worker.onmessage = ({ data }) => this.#waiting.shift()?.resolve(data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      // Not a disk or network failure: a bug or a broken install (a binary without the worker module).
      this.#fail(new RbeeError("INTERNAL", `The download thread failed: ${event.message}`));
    };
  }

  async append(bytes: Uint8Array): Promise<void> {
    await this.#ask({ bytes: shared(bytes), write: true });
  }

  async hashOnly(bytes: Uint8Array): Promise<void> {
    await this.#ask({ bytes: shared(bytes), write: false });
  }

  async finish(): Promise<string> {
    try {
      return (await this.#ask({ finish: true }) as { digest: string }).digest;
    } finally {
      this.abort();
    }
  }

  /** Ends the thread (the OS closes the part with it); pending and later requests fail. */
  abort(): void {
    this.#worker.terminate();
    this.#fail(new Error("The download thread was closed"));
  }

  async #ask(request: PartWriterRequest): Promise<PartWriterAnswer> {
    if (this.#failure) throw this.#failure;
    const answer = await new Promise<PartWriterAnswer>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(request);
    });
    if ("error" in answer) {
      // As the reading thread would have seen it: an Error with the OS's code (ENOSPC…).
      throw new DiskError(Object.assign(new Error(answer.error.message), answer.error));
    }
    return answer;
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(err);
  }
}

function shared(bytes: Uint8Array): Uint8Array {
  if (!(bytes.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError("A download thread takes views of a SharedArrayBuffer only");
  }
  return bytes;
}
