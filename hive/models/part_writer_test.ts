import { createHash } from "node:crypto";
import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { assertEquals, assertRejects, assertTrue, withTempDir } from "../../shared/testing.ts";
import { DiskError, isDiskFull } from "./disk_write.ts";
import { openPartWriter, THREAD_FROM_BYTES, threadDefault, ThreadPartWriter } from "./part_writer.ts";

function sharedBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(new SharedArrayBuffer(length));
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/** The two writers: on the reading thread, and on a thread of its own. */
const WAYS = [["inline", null], ["on a thread", 0]] as const;

Deno.test("a thread of its own only with two cores or more, and only for big files", async () => {
  assertEquals([1, 2, 16].map(threadDefault), [null, THREAD_FROM_BYTES, THREAD_FROM_BYTES]);
  await withTempDir(async (dir) => {
    const kinds = [];
    for (
      const [size, from] of [[THREAD_FROM_BYTES - 1, THREAD_FROM_BYTES], [
        THREAD_FROM_BYTES,
        THREAD_FROM_BYTES,
      ], [
        THREAD_FROM_BYTES * 10,
        null,
      ]] as const
    ) {
      const writer = await openPartWriter(join(dir, "p"), 0, size, from);
      kinds.push(writer instanceof ThreadPartWriter);
      writer.abort();
    }
    assertEquals(kinds, [false, true, false]);
  });
});

for (const [how, from] of WAYS) {
  Deno.test(`${how}: the part gets the appended bytes in order, the digest covers what was already there`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "m.bin.part");
      const before = sharedBytes(5000, 1);
      await Deno.writeFile(path, before);
      const parts = [sharedBytes(1 << 20, 2), sharedBytes(12345, 3), sharedBytes(0, 4), sharedBytes(777, 5)];
      const writer = await openPartWriter(path, before.length, 1, from);
      await writer.hashOnly(before);
      // Not awaited one by one: requests are answered in order.
      await Promise.all(parts.map((part) => writer.append(part)));
      assertEquals(await writer.finish(), sha256(before, ...parts));
      assertEquals(sha256(await Deno.readFile(path)), sha256(before, ...parts), "the part's bytes");
      // Opened at offset 0, the part starts over.
      const again = await openPartWriter(path, 0, 1, from);
      await again.append(parts[1]);
      assertEquals(await again.finish(), sha256(parts[1]));
      assertEquals((await Deno.stat(path)).size, parts[1].length);
    });
  });

  Deno.test(`${how}: a full disk fails with a DiskError that says so, and nothing is written after it`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "m.bin.part");
      await Deno.symlink("/dev/full", path);
      const writer = await openPartWriter(path, 0, 1, from);
      try {
        const err = await assertRejects(() => writer.append(sharedBytes(1000, 0)), DiskError);
        assertTrue(isDiskFull(err.cause), String(err.cause));
        assertTrue(String((err.cause as Error).message).includes("os error 28"), String(err.cause));
        await assertRejects(() => writer.append(sharedBytes(10, 0)), DiskError);
      } finally {
        writer.abort();
      }
    });
  });

  Deno.test(`${how}: a part that cannot be opened fails with a DiskError`, async () => {
    await withTempDir(async (dir) => {
      const err = await assertRejects(
        () => openPartWriter(join(dir, "no", "such", "p"), 0, 1, from),
        DiskError,
      );
      assertTrue(err.cause instanceof Error && /os error 2\)/.test(err.cause.message), String(err.cause));
    });
  });
}

Deno.test("the thread takes shared memory only, and refuses work once aborted", async () => {
  await withTempDir(async (dir) => {
    const writer = await ThreadPartWriter.open(join(dir, "p"), false);
    try {
      await assertRejects(() => writer.append(new Uint8Array(8)), TypeError);
      await writer.append(sharedBytes(64, 0));
    } finally {
      writer.abort();
    }
    for (const late of [() => writer.append(sharedBytes(64, 0)), () => writer.finish()]) {
      const err = await assertRejects(late, Error);
      assertTrue(err.message.includes("closed"), err.message);
    }
  });
});

Deno.test("a thread that dies fails its work with INTERNAL, not as a disk or network error", async () => {
  await withTempDir(async (dir) => {
    // A worker whose code throws on the first request, as a broken one would.
    const broken = `self.onmessage = () => { throw new Error("boom"); };`;
    const module = new URL(`data:application/javascript,${encodeURIComponent(broken)}`);
    const err = await assertRejects(() => ThreadPartWriter.open(join(dir, "p"), false, module), RbeeError);
    assertEquals(err.code, "INTERNAL");
    assertTrue(err.message.includes("download thread failed") && err.message.includes("boom"), err.message);
  });
});
