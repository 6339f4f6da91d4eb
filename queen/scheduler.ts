/**
 * Where a request runs: a pure choice over the workers the hives report.
 */
import type { Backend } from "../shared/contracts/worker.ts";
import type { WorkerStatus } from "../shared/contracts/supervision.ts";
import type { ModelDtype } from "../shared/contracts/models.ts";

/** What a request needs: a model (in a precision, fp32 when absent) on a backend and device. */
export interface Placement {
  model: string;
  backend: Backend;
  device: number;
  dtype?: ModelDtype;
}

/**
 * The decision: reuse a worker; wait for a serving worker whose slots are all
 * still taken (the hive frees a slot a moment after the queen's queue does);
 * or ask a hive to pull the model and spawn one.
 */
export type ScheduleDecision =
  | { action: "reuse"; worker: WorkerStatus }
  | { action: "wait" }
  | { action: "spawn" };

const fits = (w: WorkerStatus, want: Placement) =>
  w.model === want.model && w.backend === want.backend && w.device === want.device &&
  (w.dtype ?? "fp32") === (want.dtype ?? "fp32");

const serving = (w: WorkerStatus) => w.state === "idle" || w.state === "busy";

/**
 * Picks the serving worker of exactly the placement with a free slot (the
 * least loaded one); waits when such workers serve but are full; else spawns.
 */
export function schedule(workers: readonly WorkerStatus[], want: Placement): ScheduleDecision {
  const matching = workers.filter((w) => fits(w, want) && serving(w));
  const best = matching.filter((w) => w.active < w.slots).sort((a, b) => a.active - b.active)[0];
  if (best) return { action: "reuse", worker: best };
  return matching.length ? { action: "wait" } : { action: "spawn" };
}

/**
 * Requests the placement's serving workers can take at once (the sum of their
 * slots); 1 while none serves, so the first request spawns one and the rest wait.
 */
export function placementSlots(workers: readonly WorkerStatus[], want: Placement): number {
  const total = workers.filter((w) => fits(w, want) && serving(w)).reduce((n, w) => n + w.slots, 0);
  return Math.max(1, total);
}

/** A key naming one placement, for per-placement queues. */
export function placementKey(p: Placement): string {
  const dtype = p.dtype && p.dtype !== "fp32" ? `|${p.dtype}` : "";
  return `${p.model}|${p.backend}|${p.device}${dtype}`;
}
