/**
 * Stopping workers with real (fake) processes: a polite worker leaves when
 * asked, one that ignores SIGTERM is force-killed and that is recorded, one
 * stuck loading is killed after the loading timeout, and a hive shutdown
 * stops many workers in parallel within its cap.
 */
import { assertEquals, assertRejects, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";
import { isAlive } from "./support/processes.ts";

Deno.test("a worker that is asked to shut down leaves without any signal", async () => {
  await withFakeWorkers({}, async ({ supervisor, log }) => {
    const w = await supervisor.spawn(FAKE_SPEC);
    const outcome = await supervisor.stop(w.id);
    assertEquals(outcome?.forced, false);
    assertEquals(isAlive(w.pid!), false);
    assertEquals(log.some((l) => l.msg === "Sending SIGTERM to worker"), false);
    assertEquals(supervisor.list(), []);
  });
});

Deno.test("a worker that ignores SIGTERM is force-killed, and the log says so", async () => {
  await withFakeWorkers(
    { mode: "ignore-term", stopGraceMs: 200, killAfterMs: 300 },
    async ({ supervisor, log }) => {
      const w = await supervisor.spawn(FAKE_SPEC);
      const started = Date.now();
      const outcome = await supervisor.stop(w.id);
      assertEquals([outcome?.forced, outcome?.exit.signal], [true, "SIGKILL"]);
      assertTrue(Date.now() - started >= 300, "SIGKILL came before the grace period");
      assertEquals(isAlive(w.pid!), false);
      const steps = log.filter((l) => l.worker_id === w.id && /SIGTERM|force-kill/i.test(l.msg)).map((l) =>
        l.msg
      );
      assertEquals(steps, [
        "Sending SIGTERM to worker",
        "Worker ignored SIGTERM; force-killing it",
        "Worker force-killed",
      ]);
    },
  );
});

Deno.test("a worker stuck loading is killed after the loading timeout (LOADING_TIMEOUT)", async () => {
  await withFakeWorkers(
    { mode: "hang-loading", loadingTimeoutMs: 600, killAfterMs: 500 },
    async ({ supervisor }) => {
      const err = await assertRejects(() => supervisor.spawn(FAKE_SPEC), RbeeError);
      assertEquals(err.code, "LOADING_TIMEOUT");
      assertStringIncludes(err.message, "600 ms");
      const [w] = supervisor.list();
      assertEquals([w.state, w.error?.code, w.pid, w.restart_count], ["failed", "LOADING_TIMEOUT", null, 0]);
      assertTrue(w.last_exit, "the exit is recorded");
    },
  );
});

Deno.test("a worker that crashes at start-up fails the spawn with its exit code and stderr kept", async () => {
  await withFakeWorkers({ mode: "crash-at-start" }, async ({ supervisor }) => {
    const err = await assertRejects(() => supervisor.spawn(FAKE_SPEC), RbeeError);
    assertEquals(err.code, "WORKER_START_FAILED");
    const [w] = supervisor.list();
    assertEquals([w.state, w.last_exit?.code, w.restart_count], ["failed", 1, 0]);
    assertStringIncludes(w.last_exit!.stderr_tail.join("\n"), "injected crash");
    assertEquals(w.breaker.failures, 1);
  });
});

Deno.test("stopping every worker happens in parallel and within the shutdown cap", async () => {
  const opts = { mode: "ignore-term", stopGraceMs: 100, killAfterMs: 10_000, shutdownCapMs: 800 };
  await withFakeWorkers(opts, async ({ supervisor, log }) => {
    const specs = [0, 1, 2].map((device) => ({ ...FAKE_SPEC, device }));
    const workers = await Promise.all(specs.map((s) => supervisor.spawn(s)));
    const started = Date.now();
    await supervisor.stopAll();
    const took = Date.now() - started;
    assertTrue(took >= 800 && took < 3000, `took ${took} ms`);
    assertTrue(log.some((l) => l.msg === "Shutdown cap reached; killing the remaining workers"));
    assertEquals(workers.filter((w) => isAlive(w.pid!)), []);
  });
});
