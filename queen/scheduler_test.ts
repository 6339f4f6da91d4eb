import { assertEquals } from "../shared/testing.ts";
import type { WorkerStatus } from "../shared/contracts/supervision.ts";
import { placementSlots, schedule } from "./scheduler.ts";

const worker = (over: Partial<WorkerStatus>): WorkerStatus => ({
  id: "w-1",
  model: "hf:a/b@main",
  backend: "cpu",
  device: 0,
  state: "idle",
  pid: 1,
  port: 1234,
  started_at: "2026-01-01T00:00:00Z",
  slots: 1,
  active: 0,
  restart_count: 0,
  last_heartbeat: null,
  breaker: { state: "closed", failures: 0 },
  ...over,
});
const want = { model: "hf:a/b@main", backend: "cpu" as const, device: 0 };

Deno.test("reuses an idle worker with the same model, backend and device", () => {
  const w = worker({ id: "w-2" });
  const full = worker({ id: "w-1", state: "busy", active: 1 });
  assertEquals(schedule([full, w], want), { action: "reuse", worker: w });
});

Deno.test("reuses a busy worker that still has a free slot, the least loaded first", () => {
  const two = worker({ id: "w-2", state: "busy", slots: 4, active: 2 });
  const one = worker({ id: "w-3", state: "busy", slots: 2, active: 1 });
  assertEquals(schedule([two, one], want), { action: "reuse", worker: one });
});

Deno.test("spawns when only other models, backends, devices or dead workers exist", () => {
  const workers = [
    worker({ model: "hf:a/c@main" }),
    worker({ backend: "cuda" }),
    worker({ device: 1 }),
    worker({ state: "failed" }),
    worker({ state: "loading" }),
  ];
  assertEquals(schedule(workers, want), { action: "spawn" });
});

Deno.test("a placement's slots are its serving workers' slots, at least 1", () => {
  assertEquals(placementSlots([], want), 1);
  assertEquals(placementSlots([worker({ slots: 4, state: "loading" })], want), 1);
  assertEquals(placementSlots([worker({ slots: 4 }), worker({ slots: 2, state: "busy" })], want), 6);
  assertEquals(placementSlots([worker({ slots: 4, device: 1 })], want), 1);
});

Deno.test("a worker serves only its own precision: a q8 request does not reuse an fp32 worker", () => {
  const fp32 = worker({ id: "w-1" });
  const q8 = worker({ id: "w-2", dtype: "q8" });
  assertEquals(schedule([fp32], { ...want, dtype: "q8" }), { action: "spawn" });
  assertEquals(schedule([fp32, q8], { ...want, dtype: "q8" }), { action: "reuse", worker: q8 });
  assertEquals(schedule([q8, fp32], want), { action: "reuse", worker: fp32 });
});

Deno.test("a serving worker with every slot taken means wait, not a second worker", () => {
  const full = worker({ id: "w-9", state: "busy", active: 1, slots: 1 });
  assertEquals(schedule([full], want), { action: "wait" });
  assertEquals(schedule([full, worker({ id: "w-8", state: "failed" })], want), { action: "wait" });
});
