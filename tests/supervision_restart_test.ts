/**
 * Restart policy with real (fake) worker processes: crashes are restarted
 * with backoff, given up after the maximum attempts, and the breaker opens
 * after repeated failures, refusing new spawns until an operator resets it.
 */
import { assertEquals, assertRejects, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { eventually, FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";
import { isAlive } from "./support/processes.ts";
import { workerRoutes } from "../hive/worker_routes.ts";

const fast = { baseDelayMs: 100, maxDelayMs: 400, jitter: 0, maxAttempts: 10 };

Deno.test("a worker that keeps crashing after it is ready is restarted until the breaker opens", async () => {
  const restart = { ...fast, breaker: { threshold: 3, windowMs: 60_000, cooldownMs: 60_000 } };
  await withFakeWorkers({ mode: "crash-after-ready:150", restart }, async ({ supervisor, log }) => {
    const first = await supervisor.spawn(FAKE_SPEC);
    assertEquals([first.state, first.restart_count, first.breaker.state], ["idle", 0, "closed"]);
    const w = await eventually("the breaker to open", () => {
      const w = supervisor.get(first.id);
      return w.breaker.state === "open" && w.state === "failed" && !w.next_restart_at && w;
    });
    assertEquals(w.restart_count, 2);
    assertEquals(w.error?.code, "WORKER_CRASHED");
    assertEquals([w.last_exit?.code, w.last_exit?.forced], [1, false]);
    assertStringIncludes(w.last_exit!.stderr_tail.join("\n"), "injected crash after ready");
    const delays = log.filter((l) => l.msg === "Restarting worker").map((l) => l.delay_ms);
    assertEquals(delays, [100, 100], "each restart got ready, so the attempt count starts over");
    assertEquals(log.find((l) => l.msg === "Not restarting worker")?.reason, "breaker_open");

    const refused = await assertRejects(() => supervisor.spawn(FAKE_SPEC), RbeeError);
    assertEquals([refused.code, refused.details?.failures], ["WORKER_CIRCUIT_OPEN", 3]);
    const routes = workerRoutes(supervisor, { ensure: () => Promise.reject(new Error("unused")) } as never);
    const reset = await routes.request("/reset-breaker", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: FAKE_SPEC.model }),
    });
    assertEquals(reset.status, 200);
    const again = await supervisor.spawn(FAKE_SPEC);
    assertEquals([again.state, again.breaker.state], ["idle", "closed"]);
  });
});

Deno.test("a worker that crashes at start-up on every restart is given up after the maximum attempts", async () => {
  const plan = ["crash-after-ready:100", "crash-at-start"];
  await withFakeWorkers({ plan, restart: { ...fast, maxAttempts: 3 } }, async ({ supervisor, log }) => {
    const { id } = await supervisor.spawn(FAKE_SPEC);
    const w = await eventually("the restarts to be given up", () => {
      const w = supervisor.get(id);
      return w.state === "failed" && !w.next_restart_at && w.restart_count === 3 && w;
    });
    assertEquals(w.error?.code, "WORKER_START_FAILED");
    assertEquals(log.filter((l) => l.msg === "Restarting worker").map((l) => l.delay_ms), [100, 200, 400]);
    assertEquals(log.find((l) => l.msg === "Not restarting worker")?.reason, "max_attempts");
    assertEquals(w.breaker, { state: "closed", failures: 4 });
  });
});

Deno.test("a SIGKILLed worker is noticed at once, with its signal, and restarted under the same id", async () => {
  await withFakeWorkers({ restart: fast }, async ({ supervisor }) => {
    const first = await supervisor.spawn(FAKE_SPEC);
    Deno.kill(first.pid!, "SIGKILL");
    const failed = await eventually("the crash to be noticed", () => {
      const w = supervisor.get(first.id);
      return w.state === "failed" && w;
    }, 2000);
    assertEquals([failed.error?.code, failed.last_exit?.signal], ["WORKER_CRASHED", "SIGKILL"]);
    assertTrue(failed.next_restart_at, "a restart is scheduled");
    const joined = await supervisor.spawn(FAKE_SPEC);
    assertEquals([joined.id, joined.state, joined.restart_count], [first.id, "idle", 1]);
    assertTrue(joined.pid !== first.pid && isAlive(joined.pid!));
  });
});
