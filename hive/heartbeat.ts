/**
 * Health checks of running workers: each answer refreshes `last_heartbeat`;
 * three misses in a row mean the worker is hung, and it is killed (its exit is
 * then handled like any crash, restart included).
 */
import type { Logger } from "../shared/log.ts";
import type { WorkerRecord } from "./worker_record.ts";

/** Misses in a row after which a worker is killed. */
export const MAX_MISSES = 3;

/** Probes every idle or busy worker once. */
export async function probeWorkers(
  records: Iterable<WorkerRecord>,
  timeoutMs: number,
  now: () => number,
  log: Logger,
): Promise<void> {
  await Promise.all([...records].map(async (rec) => {
    if ((rec.info.state !== "idle" && rec.info.state !== "busy") || !rec.url || !rec.proc) return;
    const ok = await fetch(`${rec.url}/health`, { signal: AbortSignal.timeout(timeoutMs) })
      .then(async (res) => (await res.body?.cancel(), res.ok), () => false);
    if (ok) {
      rec.heartbeatMisses = 0;
      rec.info.last_heartbeat = new Date(now()).toISOString();
    } else if (++rec.heartbeatMisses >= MAX_MISSES && rec.proc) {
      log.warn("Worker stopped answering health checks; killing it", { worker_id: rec.info.id });
      rec.info.error = { code: "WORKER_CRASHED", message: "Worker stopped answering health checks" };
      rec.proc.kill("SIGKILL");
    }
  }));
}

/** Runs `tick` every `periodMs` without keeping the process alive; `stop` ends it. */
export function every(periodMs: number, tick: () => Promise<void>): { stop(): void } {
  let running = false;
  const id = setInterval(() => {
    if (running) return;
    running = true;
    tick().finally(() => (running = false));
  }, periodMs);
  Deno.unrefTimer(id);
  return { stop: () => clearInterval(id) };
}
