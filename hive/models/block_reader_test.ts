import { join } from "node:path";
import { assertEquals, assertRejects, assertTrue } from "../../shared/testing.ts";
import { readBlocks, WORD } from "./block_reader.ts";

/** Bytes 0..n-1 (mod 251), so any misplaced byte shows. */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 251);
}

/** A byte stream (as fetch bodies and files are) that hands out `data` in the given chunk sizes. */
function byteStream(data: Uint8Array, sizes: number[], failAfter = Infinity): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= failAfter) return controller.error(new Error("connection reset"));
      if (at >= data.length) {
        controller.close();
        return controller.byobRequest?.respond(0); // Ends a pending BYOB read, as Deno's own streams do.
      }
      const n = Math.min(sizes[i++ % sizes.length], data.length - at);
      controller.enqueue(data.slice(at, at += n));
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>, blockSize: number) {
  const blocks: Uint8Array[] = [];
  const reads: number[] = [];
  const result = await readBlocks(body, {
    received: (n) => void reads.push(n),
    block: (bytes) => void blocks.push(bytes.slice()),
  }, { blockSize }).then(() => null, (err: Error) => err);
  return { blocks, reads, error: result };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

Deno.test("a byte stream arrives in full blocks, then the rest, whatever the read sizes", async () => {
  const data = pattern(10_000);
  const { blocks, reads, error } = await collect(byteStream(data, [7, 1000, 4096, 1]), 4096);
  assertEquals(error, null);
  assertEquals(blocks.map((b) => b.length), [4096, 4096, 1808]);
  assertEquals(concat(blocks), data);
  assertEquals(reads.reduce((a, b) => a + b, 0), data.length);
});

Deno.test("each read lands as far past a word as it goes into its block, for fast copies to shared memory", async () => {
  const data = pattern(20_000);
  const sizes = [7, 1000, 4093, 1, 6];
  const landings: { got: number; want: number }[] = [];
  let at = 0;
  let i = 0;
  const body = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      if (at >= data.length) return void (controller.close(), request.respond(0));
      const view = request.view as Uint8Array;
      // Blocks of 4096 bytes: the next byte goes to offset `at % 4096` of one.
      landings.push({ got: view.byteOffset % WORD, want: at % 4096 % WORD });
      const n = Math.min(sizes[i++ % sizes.length], data.length - at, view.length);
      view.set(data.subarray(at, at += n));
      request.respond(n);
    },
  });
  const blocks: Uint8Array[] = [];
  const sink = { received() {}, block: (bytes: Uint8Array) => void blocks.push(bytes.slice()) };
  await readBlocks(body, sink, { blockSize: 4096, shared: true });
  assertEquals(concat(blocks), data);
  assertEquals(landings.map((l) => l.got), landings.map((l) => l.want));
  assertTrue(new Set(landings.map((l) => l.want)).size > 1, "the reads should end at varied offsets");
});

Deno.test("a stream of chunks (not a byte stream) is read the same way", async () => {
  const data = pattern(5000);
  const chunks = [data.slice(0, 3000), data.slice(3000, 3001), data.slice(3001)];
  const { blocks, error } = await collect(ReadableStream.from(chunks), 2048);
  assertEquals(error, null);
  assertEquals(blocks.map((b) => b.length), [2048, 2048, 904]);
  assertEquals(concat(blocks), data);
});

Deno.test("bytes read before a stream fails are handed on before the error", async () => {
  const data = pattern(10_000);
  const { blocks, error } = await collect(byteStream(data, [1500], 6000), 4096);
  assertEquals(error?.message, "connection reset");
  assertEquals(blocks.map((b) => b.length), [4096, 1904]);
  assertEquals(concat(blocks), data.slice(0, 6000));
});

Deno.test("a sink that refuses a read stops it: earlier bytes are kept, the stream is cancelled", async () => {
  let cancelled: unknown = null;
  const body = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull: (controller) => controller.enqueue(pattern(1000)),
    cancel: (reason) => void (cancelled = reason),
  });
  const blocks: Uint8Array[] = [];
  let total = 0;
  const tooLong = new Error("longer than listed");
  await assertRejects(
    () =>
      readBlocks(body, {
        received(n) {
          if ((total += n) > 2500) throw tooLong;
        },
        block: (bytes) => void blocks.push(bytes.slice()),
      }, { blockSize: 4096 }),
    Error,
    "longer than listed",
  );
  assertEquals(blocks.map((b) => b.length), [2000]);
  assertEquals(cancelled, tooLong);
});

Deno.test("a file's readable is read in blocks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = pattern(300_000);
    await Deno.writeFile(join(dir, "f"), data);
    const { blocks, error } = await collect((await Deno.open(join(dir, "f"))).readable, 128 * 1024);
    assertEquals(error, null);
    assertEquals(blocks.map((b) => b.length), [131072, 131072, 37856]);
    assertEquals(concat(blocks), data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the next block fills while the previous one is handed on, and hand-ons never overlap", async () => {
  const data = pattern(5 * 4096);
  let busy = 0;
  let mostBusy = 0;
  let readWhileBusy = 0;
  const blocks: Uint8Array[] = [];
  await readBlocks(byteStream(data, [1024]), {
    received: () => void (busy > 0 && readWhileBusy++),
    async block(bytes) {
      mostBusy = Math.max(mostBusy, ++busy);
      const copy = bytes.slice(); // The bytes must stay untouched until this settles.
      await new Promise((resolve) => setTimeout(resolve, 5));
      assertEquals(bytes, copy);
      blocks.push(copy);
      busy--;
    },
  }, { blockSize: 4096 });
  assertEquals(concat(blocks), data);
  assertEquals(mostBusy, 1);
  assertTrue(readWhileBusy > 0, "reading waited for every hand-on");
});
