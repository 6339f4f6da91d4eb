/**
 * Reading a large body in fixed-size blocks, for downloads: the stream's bytes are
 * gathered in a block; each full block is handed on (to be hashed and written, on another
 * thread where the machine allows) while the next one fills in a second buffer. Memory
 * stays at two blocks whatever the body's size.
 *
 * Why it is built this way (measured with `deno task bench:pull` on 2 cores):
 * - Byte streams (fetch bodies, files) are read with a BYOB reader into one reused
 *   landing buffer, so no read allocates; the default reader allocates a chunk per read,
 *   which cost about 40% more CPU to read a fetch body.
 * - The bytes are copied from the landing buffer into the block rather than read into
 *   the block directly, because a failed BYOB read takes its buffer with it: what arrived
 *   before a dropped connection must survive to be written, for the resume.
 * - Each read lands at the block's alignment (see {@link WORD}): V8 copies into a
 *   SharedArrayBuffer a word at a time only where source and destination are equally
 *   aligned, and a byte at a time otherwise. Reads end at any byte, so unaligned copies
 *   were the rule: they took half of the reading thread's CPU (1.07 ms per MiB read
 *   and copied, 0.56-0.69 aligned; 0.5 for the read alone).
 * - A block is hashed and written elsewhere (a worker, for big files; Deno's pool writes
 *   otherwise): with two blocks, that overlaps reading the next one instead of leaving the
 *   reader idle.
 */

/**
 * 1 MiB: one hand-on per MiB, and a block still fits the CPU's cache when hashed
 * (256 KiB and 4 MiB blocks measured the same).
 */
export const BLOCK_SIZE = 1024 * 1024;

/** Where {@link readBlocks} sends what it reads. */
export interface BlockSink {
  /** After every read, with its size: for stall watchdogs, limits and progress (may throw). */
  received(bytes: number): void;
  /**
   * A full block, or the last part of the body. Its bytes stay untouched until the
   * returned promise settles, and the next block is handed on only after that, so a sink
   * may hash synchronously and write in the background, in order.
   */
  block(bytes: Uint8Array): void | Promise<void>;
}

/** Options of {@link readBlocks}. */
export interface BlockOptions {
  /** A multiple of {@link WORD} copies fastest. */
  blockSize?: number;
  /** Blocks in a SharedArrayBuffer, for a sink that hands them to another thread. */
  shared?: boolean;
}

/**
 * Reads `body` to its end in blocks of `blockSize`. When reading fails (or `received`
 * throws), the bytes already read are still handed to `block` before the error is
 * rethrown, so a download can resume after them; the stream is cancelled.
 */
export async function readBlocks(
  body: ReadableStream<Uint8Array>,
  sink: BlockSink,
  { blockSize = BLOCK_SIZE, shared = false }: BlockOptions = {},
): Promise<void> {
  const source = openSource(body);
  const handOn = async (bytes: Uint8Array) => await sink.block(bytes);
  const newBlock = () =>
    new Uint8Array(shared ? new SharedArrayBuffer(blockSize) : new ArrayBuffer(blockSize));
  let filling = newBlock();
  let spare = newBlock();
  let used = 0;
  // The previous block's hand-on (its write); its rejection is awaited, not lost.
  let previous: Promise<void> = Promise.resolve();
  try {
    for (let bytes = await source.next(used); bytes; bytes = await source.next(used)) {
      sink.received(bytes.length);
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(bytes.length - at, filling.length - used);
        filling.set(bytes.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === filling.length) {
          await previous; // The spare buffer is free once its block is done with.
          previous = handOn(filling);
          previous.catch(() => {});
          [filling, spare] = [spare, filling];
          used = 0;
        }
      }
    }
    await previous;
  } catch (err) {
    await previous.catch(() => {});
    if (used > 0) await handOn(filling.subarray(0, used)).catch(() => {});
    await source.cancel(err).catch(() => {});
    throw err;
  }
  if (used > 0) await sink.block(filling.subarray(0, used));
}

/** The next bytes of a stream (valid until the next call), or null at its end. */
interface Source {
  /**
   * Where the reader picks the bytes' place (BYOB reads), they start as far past a word
   * boundary as `blockOffset` is, so that copying them to that offset of a block is fast.
   */
  next(blockOffset: number): Promise<Uint8Array | null>;
  cancel(reason: unknown): Promise<void>;
}

/** The word V8 copies shared memory in. A block starts on one (a new buffer always does). */
export const WORD = 8;

/** A BYOB read takes this buffer over and gives it back filled; big enough for any one read. */
const LANDING_SIZE = 256 * 1024;

function openSource(body: ReadableStream<Uint8Array>): Source {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    const reader = body.getReader(); // Not a byte stream: it hands out its own chunks.
    return {
      next: async () => (await reader.read()).value ?? null,
      cancel: (reason) => reader.cancel(reason),
    };
  }
  // A buffer's start is word-aligned; reads land up to WORD - 1 bytes past it.
  let landing = new ArrayBuffer(LANDING_SIZE + WORD);
  return {
    async next(blockOffset) {
      const { value, done } = await byob.read(new Uint8Array(landing, blockOffset % WORD, LANDING_SIZE));
      if (!value) throw new Error("The stream was cancelled while it was read");
      landing = value.buffer as ArrayBuffer;
      return done ? null : value;
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
