/**
 * Where a request runs: a pure choice over the workers the hives report.
 */
import type { Backend, WorkerInfo } from "../shared/contracts/worker.ts";

/** What a request needs: a model on a backend and device. */
export interface Placement {
  model: string;
  backend: Backend;
  device: number;
}

/** The decision: reuse a worker, or ask a hive to pull the model and spawn one. */
export type ScheduleDecision =
  | { action: "reuse"; worker: WorkerInfo }
  | { action: "spawn" };

/** Picks an idle worker serving exactly the placement, else decides to spawn one. */
export function schedule(workers: readonly WorkerInfo[], want: Placement): ScheduleDecision {
  const fits = (w: WorkerInfo) =>
    w.model === want.model && w.backend === want.backend && w.device === want.device;
  const idle = workers.find((w) => fits(w) && w.state === "idle");
  return idle ? { action: "reuse", worker: idle } : { action: "spawn" };
}

/** A key naming one placement, for per-placement queues. */
export function placementKey(p: Placement): string {
  return `${p.model}|${p.backend}|${p.device}`;
}
