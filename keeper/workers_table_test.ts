import { assertEquals } from "../shared/testing.ts";
import type { ClusterWorker } from "../shared/contracts/supervision.ts";
import { ago, workerTable } from "./workers_table.ts";

const NOW = Date.parse("2026-01-01T12:00:00Z");

const worker = (over: Partial<ClusterWorker>): ClusterWorker => ({
  id: "w-1",
  hive: "local",
  model: "hf:a/b@main",
  backend: "cpu",
  device: 0,
  state: "idle",
  pid: 4242,
  port: 40001,
  started_at: "2026-01-01T11:55:00Z",
  slots: 2,
  active: 1,
  restart_count: 0,
  last_heartbeat: "2026-01-01T11:59:58Z",
  breaker: { state: "closed", failures: 0 },
  ...over,
});

Deno.test("ago: seconds, minutes, hours, never", () => {
  assertEquals(ago("2026-01-01T11:59:18Z", NOW), "42s ago");
  assertEquals(ago("2026-01-01T11:56:55Z", NOW), "3m05s ago");
  assertEquals(ago("2026-01-01T09:58:00Z", NOW), "2h02m ago");
  assertEquals(ago(null, NOW), "never");
});

Deno.test("one aligned row per worker, then a note for a failed one", () => {
  const failed = worker({
    id: "w-2",
    state: "failed",
    pid: null,
    port: null,
    active: 0,
    restart_count: 3,
    last_heartbeat: null,
    error: { code: "WORKER_CRASHED", message: "Worker exited unexpectedly with code 1" },
    breaker: { state: "open", failures: 5, retry_at: "2026-01-01T12:05:00Z" },
  });
  const lines = workerTable([worker({}), failed], NOW).split("\n");
  assertEquals(lines[0].split(/\s{2,}/), [
    "ID",
    "HIVE",
    "MODEL",
    "BACKEND",
    "STATE",
    "PID",
    "PORT",
    "SLOTS",
    "RESTARTS",
    "BREAKER",
    "HEARTBEAT",
    "STARTED",
  ]);
  assertEquals(lines[1].split(/\s{2,}/), [
    "w-1",
    "local",
    "hf:a/b@main",
    "cpu:0",
    "idle",
    "4242",
    "40001",
    "1/2",
    "0",
    "closed",
    "2s ago",
    "5m00s ago",
  ]);
  assertEquals(lines[2].split(/\s{2,}/).slice(4, 11), ["failed", "-", "-", "0/2", "3", "open (5)", "never"]);
  assertEquals(lines[1].indexOf("cpu:0"), lines[0].indexOf("BACKEND"), "columns are aligned");
  assertEquals(lines.slice(3), [
    "",
    "w-2: WORKER_CRASHED: Worker exited unexpectedly with code 1; breaker open until 2026-01-01T12:05:00Z",
  ]);
});
