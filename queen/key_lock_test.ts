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

Deno.test("several slots run at once; the bounded queue refuses the overflow with a retry hint", async () => {
  const lock = new KeyLock({ slots: 2, maxWaiting: 1, retryAfterS: 3 });
  const r1 = await lock.acquire("k");
  const r2 = await lock.acquire("k");
  const third = lock.acquire("k");
  assertEquals(lock.waiting("k"), 1);
  const err = await lock.acquire("k").then(() => null, (e) => e);
  assertEquals([err?.code, err?.details], ["ALL_SLOTS_BUSY", { retry_after_s: 3, waiting: 1 }]);
  r1();
  const r3 = await third;
  assertEquals(lock.waiting("k"), 0);
  const fourth = lock.acquire("k");
  r2();
  r3();
  (await fourth)();
  (await lock.acquire("k"))();
});

Deno.test("setSlots lets waiters in when a key learns it has more slots, and fewer once it shrinks", async () => {
  const lock = new KeyLock({ slots: 1 });
  const r1 = await lock.acquire("k");
  const order: string[] = [];
  const second = lock.acquire("k").then((r) => (order.push("second"), r));
  const third = lock.acquire("k").then((r) => (order.push("third"), r));
  assertEquals(lock.waiting("k"), 2);
  lock.setSlots("k", 2);
  const r2 = await second;
  assertEquals([order, lock.waiting("k")], [["second"], 1]);
  lock.setSlots("k", 1);
  r1(); // two were running and the key now allows one: the slot is not passed on
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(order, ["second"]);
  r2();
  (await third)();
  assertEquals(lock.slots("k"), 1);
  assertEquals(lock.slots("other"), 1);
});
