/**
 * Keep-alive with real (fake) worker processes: an idle worker is unloaded
 * once its keep-alive has passed, at once after a request with keep_alive 0,
 * and never with a negative one.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { eventually, FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";
import { isAlive } from "./support/processes.ts";

Deno.test("an idle worker is unloaded after the hive's keep-alive", async () => {
  await withFakeWorkers({ keepAliveMs: 300, heartbeatMs: 50 }, async ({ supervisor, log }) => {
    const w = await supervisor.spawn(FAKE_SPEC);
    assertTrue(w.unload_at, "an idle worker shows when it will be unloaded");
    await eventually("the worker to be unloaded", () => supervisor.list().length === 0, 3000);
    assertEquals(isAlive(w.pid!), false);
    assertEquals(log.find((l) => l.msg === "Unloading idle worker")?.keep_alive_ms, 300);
  });
});

Deno.test("keep_alive 0 unloads right after the request; a negative one keeps the worker", async () => {
  await withFakeWorkers({ keepAliveMs: 60_000, heartbeatMs: 50 }, async ({ supervisor }) => {
    const kept = await supervisor.spawn(FAKE_SPEC);
    assertTrue(supervisor.acquire(kept.id));
    supervisor.release(kept.id, -1);
    assertEquals(supervisor.get(kept.id).unload_at, undefined);

    const once = await supervisor.spawn({ ...FAKE_SPEC, device: 1 });
    assertTrue(supervisor.acquire(once.id));
    supervisor.release(once.id, 0);
    await eventually("the keep_alive 0 worker to go", () => !isAlive(once.pid!), 3000);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(supervisor.list().map((w) => [w.id, w.state]), [[kept.id, "idle"]]);
  });
});
