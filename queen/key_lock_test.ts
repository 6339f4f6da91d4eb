import { assertEquals } from "../shared/testing.ts";
import { KeyLock } from "./key_lock.ts";

Deno.test("the same key runs in arrival order, other keys do not wait", async () => {
  const lock = new KeyLock();
  const order: string[] = [];
  const releaseA1 = await lock.acquire("a");
  const a2 = lock.acquire("a").then((release) => {
    order.push("a2");
    release();
  });
  const releaseB = await lock.acquire("b");
  order.push("b");
  releaseB();
  order.push("a1 done");
  releaseA1();
  await a2;
  assertEquals(order, ["b", "a1 done", "a2"]);
});

Deno.test("a waiter that gives up does not block the ones behind it", async () => {
  const lock = new KeyLock();
  const release1 = await lock.acquire("k");
  const ctrl = new AbortController();
  const gaveUp = lock.acquire("k", ctrl.signal).then(() => "acquired", () => "aborted");
  const third = lock.acquire("k");
  ctrl.abort();
  assertEquals(await gaveUp, "aborted");
  release1();
  (await third)();
});
