import { Hono } from "hono";
import { assertEquals } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { type AppEnv, installCommonHandlers } from "../shared/http.ts";
import { createLogger } from "../shared/log.ts";
import type { WorkerStatus } from "../shared/contracts/supervision.ts";
import type { HiveClient } from "./hive_client.ts";
import { workerRoutes } from "./worker_routes.ts";

const status = (id: string): WorkerStatus => ({
  id,
  model: "hf:a/b@main",
  backend: "cpu",
  device: 0,
  state: "idle",
  pid: 10,
  port: 4000,
  started_at: "2026-01-01T00:00:00Z",
  slots: 2,
  active: 1,
  restart_count: 0,
  last_heartbeat: null,
  breaker: { state: "closed", failures: 0 },
});

/** A stand-in hive recording what the queen asked of it. */
function hive(name: string, workers: WorkerStatus[] | null) {
  const calls: string[] = [];
  const client = {
    name,
    listWorkers: () =>
      workers ? Promise.resolve(workers) : Promise.reject(new RbeeError("HIVE_UNAVAILABLE", "down")),
    stopWorker: (id: string) => (calls.push(`stop ${id}`), Promise.resolve({ stopped: id, forced: false })),
    resetBreaker: (req: unknown) => (calls.push(`reset ${JSON.stringify(req)}`), Promise.resolve()),
  };
  return { client: client as unknown as HiveClient, calls };
}

function app(hives: HiveClient[]) {
  const root = new Hono<AppEnv>();
  installCommonHandlers(root, createLogger("queen", "error"));
  root.route("/v2/workers", workerRoutes(() => hives));
  return root;
}

Deno.test("GET /v2/workers merges every hive's workers and names the hives that did not answer", async () => {
  const a = hive("a", [status("w-1")]);
  const b = hive("b", [status("w-2"), status("w-3")]);
  const down = hive("c", null);
  const body = await (await app([a.client, b.client, down.client]).request("/v2/workers")).json();
  assertEquals(body.workers.map((w: { id: string; hive: string }) => [w.id, w.hive]), [
    ["w-1", "a"],
    ["w-2", "b"],
    ["w-3", "b"],
  ]);
  assertEquals(body.workers[0].slots, 2);
  assertEquals(body.unreachable, [{ hive: "c", error: { code: "HIVE_UNAVAILABLE", message: "down" } }]);
});

Deno.test("DELETE /v2/workers/:id asks the hive that runs it; an unknown id is WORKER_NOT_FOUND", async () => {
  const a = hive("a", [status("w-1")]);
  const b = hive("b", [status("w-2")]);
  const routes = app([a.client, b.client]);
  const res = await routes.request("/v2/workers/w-2", { method: "DELETE" });
  assertEquals(await res.json(), { stopped: "w-2", forced: false, hive: "b" });
  assertEquals([a.calls, b.calls], [[], ["stop w-2"]]);
  const missing = await routes.request("/v2/workers/w-9", { method: "DELETE" });
  assertEquals([missing.status, (await missing.json()).error.code], [404, "WORKER_NOT_FOUND"]);
  const bad = await routes.request("/v2/workers/..%2Fx", { method: "DELETE" });
  assertEquals(bad.status, 400);
});

Deno.test("POST /v2/workers/reset-breaker resets the placement on every hive, or the one named", async () => {
  const a = hive("a", []);
  const b = hive("b", []);
  const routes = app([a.client, b.client]);
  const post = (body: unknown) =>
    routes.request("/v2/workers/reset-breaker", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const res = await post({ model: "hf:a/b" });
  assertEquals((await res.json()).hives, ["a", "b"]);
  const reset = `reset ${JSON.stringify({ model: "hf:a/b@main", backend: "cpu", device: 0, dtype: "fp32" })}`;
  assertEquals([a.calls, b.calls], [[reset], [reset]]);
  assertEquals((await post({ model: "hf:a/b", hive: "b" })).status, 200);
  assertEquals(a.calls.length, 1);
  assertEquals((await post({ model: "hf:a/b", hive: "z" })).status, 404);
});
