import { assertEquals } from "../shared/testing.ts";
import { nextWorkerState } from "./worker_state.ts";

Deno.test("a worker goes starting → loading → idle ⇄ busy → stopping → stopped", () => {
  assertEquals(nextWorkerState("starting", "listening"), "loading");
  assertEquals(nextWorkerState("loading", "ready"), "idle");
  assertEquals(nextWorkerState("idle", "acquire"), "busy");
  assertEquals(nextWorkerState("busy", "acquire"), "busy", "a second slot");
  assertEquals(nextWorkerState("busy", "release"), "idle");
  assertEquals(nextWorkerState("idle", "stop"), "stopping");
  assertEquals(nextWorkerState("stopping", "exit"), "stopped");
});

Deno.test("an unexpected exit fails the worker; only a restart leaves failed; stopped is final", () => {
  assertEquals(nextWorkerState("busy", "exit"), "failed");
  assertEquals(nextWorkerState("loading", "error"), "failed");
  assertEquals(nextWorkerState("failed", "ready"), null);
  assertEquals(nextWorkerState("failed", "restart"), "starting");
  assertEquals(nextWorkerState("idle", "restart"), null);
  assertEquals(nextWorkerState("stopped", "stop"), null);
  assertEquals(nextWorkerState("stopped", "restart"), null);
  assertEquals(nextWorkerState("loading", "acquire"), null);
});
