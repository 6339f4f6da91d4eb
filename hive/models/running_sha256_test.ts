import { createHash } from "node:crypto";
import { RbeeError } from "../../shared/errors.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "../../shared/testing.ts";
import { HASH_THREAD_FROM_BYTES, hashThreadDefault, startSha256, ThreadSha256 } from "./running_sha256.ts";

function sharedBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(new SharedArrayBuffer(length));
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

Deno.test("a hashing thread only where cores are to spare, and only for big files", () => {
  assertEquals(hashThreadDefault(1), null);
  assertEquals([2, 16].map(hashThreadDefault), [HASH_THREAD_FROM_BYTES, HASH_THREAD_FROM_BYTES]);
  const small = startSha256(HASH_THREAD_FROM_BYTES - 1, HASH_THREAD_FROM_BYTES);
  const big = startSha256(HASH_THREAD_FROM_BYTES, HASH_THREAD_FROM_BYTES);
  const never = startSha256(HASH_THREAD_FROM_BYTES * 10, null);
  try {
    assertEquals([small, big, never].map((h) => h instanceof ThreadSha256), [false, true, false]);
  } finally {
    for (const h of [small, big, never]) h.close();
  }
});

Deno.test("inline and on a thread, the digest is sha256 of every update in order", async () => {
  const parts = [sharedBytes(1 << 20, 1), sharedBytes(12345, 2), sharedBytes(0, 3), sharedBytes(777, 4)];
  const expected = createHash("sha256");
  for (const part of parts) expected.update(part);
  const hex = expected.digest("hex");
  for (const fromBytes of [null, 0]) {
    const hash = startSha256(1, fromBytes);
    // Not awaited one by one: the thread answers in order.
    await Promise.all(parts.map((part) => hash.update(part)));
    assertEquals(await hash.digest(), hex, `threadFromBytes ${fromBytes}`);
  }
});

Deno.test("the thread takes shared memory only, and refuses work once closed", async () => {
  const hash = new ThreadSha256();
  try {
    const refused = assertThrows(() => hash.update(new Uint8Array(8)), TypeError);
    assertTrue(refused.message.includes("SharedArrayBuffer"), refused.message);
    await hash.update(sharedBytes(64, 0));
  } finally {
    hash.close();
  }
  for (const late of [() => hash.update(sharedBytes(64, 0)), () => hash.digest()]) {
    const err = await assertRejects(late, Error);
    assertTrue(err.message.includes("closed"), err.message);
  }
});

Deno.test("a thread that fails fails its pending and later work with INTERNAL, not as a lost connection", async () => {
  // A worker whose code throws on the first message it gets, as a broken one would.
  const broken = `self.onmessage = () => { throw new Error("boom"); };`;
  const hash = new ThreadSha256(new URL(`data:application/javascript,${encodeURIComponent(broken)}`));
  try {
    for (const work of [() => hash.update(sharedBytes(8, 0)), () => hash.digest()]) {
      const err = await assertRejects(work, RbeeError);
      assertEquals(err.code, "INTERNAL");
      assertTrue(err.message.includes("sha256 thread of a download failed") && err.message.includes("boom"));
    }
  } finally {
    hash.close();
  }
});
