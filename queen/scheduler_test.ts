import { assertEquals } from "../shared/testing.ts";
import type { WorkerInfo } from "../shared/contracts/worker.ts";
import { schedule } from "./scheduler.ts";

const worker = (over: Partial<WorkerInfo>): WorkerInfo => ({
  id: "w-1",
  model: "hf:a/b@main",
  backend: "cpu",
  device: 0,
  state: "idle",
  pid: 1,
  started_at: "2026-01-01T00:00:00Z",
  ...over,
});
const want = { model: "hf:a/b@main", backend: "cpu" as const, device: 0 };

Deno.test("reuses an idle worker with the same model, backend and device", () => {
  const w = worker({ id: "w-2" });
  assertEquals(schedule([worker({ id: "w-1", state: "busy" }), w], want), { action: "reuse", worker: w });
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
