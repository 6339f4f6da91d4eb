/**
 * Health checks with real (fake) worker processes: a worker that stops
 * answering /health (hung, yet still running) is killed after three missed
 * checks and restarted under the same id; a healthy one keeps its heartbeat fresh.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { eventually, FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";
import { isAlive } from "./support/processes.ts";

const fast = { baseDelayMs: 100, maxDelayMs: 400, jitter: 0, maxAttempts: 3 };

Deno.test("a worker that stops answering its health checks is killed and restarted", async () => {
  const plan = ["deaf-after:300", "ok"];
  await withFakeWorkers({ plan, heartbeatMs: 100, restart: fast }, async ({ supervisor, log }) => {
    const first = await supervisor.spawn(FAKE_SPEC);
    const beat = await eventually("a heartbeat", () => supervisor.get(first.id).last_heartbeat);
    assertTrue(Date.parse(beat) >= Date.parse(first.started_at));

    const restarted = await eventually("the hung worker to be replaced", () => {
      const w = supervisor.get(first.id);
      return w.state === "idle" && w.restart_count === 1 && w;
    }, 5000);
    assertEquals(isAlive(first.pid!), false, "the hung process was left running");
    assertTrue(restarted.pid !== first.pid && isAlive(restarted.pid!));
    assertEquals(restarted.last_exit?.signal, "SIGKILL");
    const killed = log.filter((l) => l.msg === "Worker stopped answering health checks; killing it");
    assertEquals(killed.map((l) => l.worker_id), [first.id]);
    const failed = log.find((l) => l.msg === "Worker failed" && l.worker_id === first.id);
    assertEquals((failed?.error as { code: string } | undefined)?.code, "WORKER_CRASHED");
  });
});
