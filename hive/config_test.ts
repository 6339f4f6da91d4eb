import { assertEquals, assertThrows } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { loadConfig } from "./config.ts";

Deno.test("defaults to 127.0.0.1:7835 and ~/.rbee", () => {
  const config = loadConfig([], { HOME: "/home/u" });
  assertEquals([config.host, config.port, config.home, config.name], [
    "127.0.0.1",
    7835,
    "/home/u/.rbee",
    "local",
  ]);
  assertEquals(config.hfEndpoint, "https://huggingface.co");
});

Deno.test("flags beat the environment", () => {
  const config = loadConfig(["--port", "0"], { RBEE_HIVE_PORT: "9000", RBEE_HOME: "/srv/rbee" });
  assertEquals([config.port, config.home], [0, "/srv/rbee"]);
});

Deno.test("refuses a bad port and a bad hub endpoint", () => {
  assertEquals(assertThrows(() => loadConfig(["--port", "70000"], {}), RbeeError).code, "VALIDATION_ERROR");
  assertEquals(assertThrows(() => loadConfig(["--port", "80"], {}), RbeeError).code, "VALIDATION_ERROR");
  assertEquals(
    assertThrows(() => loadConfig([], { HF_ENDPOINT: "not a url" }), RbeeError).code,
    "VALIDATION_ERROR",
  );
});

Deno.test("keep-alive comes from --keep-alive, then RBEE_KEEP_ALIVE, else 5 minutes", () => {
  assertEquals(loadConfig([], {}).keepAliveMs, 300_000);
  assertEquals(loadConfig([], { RBEE_KEEP_ALIVE: "-1" }).keepAliveMs, -1);
  assertEquals(loadConfig(["--keep-alive", "30s"], { RBEE_KEEP_ALIVE: "-1" }).keepAliveMs, 30_000);
  assertThrows(() => loadConfig(["--keep-alive", "soon"], {}), RbeeError);
});

Deno.test("worker slots come from --worker-slots, then RBEE_WORKER_SLOTS, else 1; 1 to 64", () => {
  assertEquals(loadConfig([], {}).workerSlots, 1);
  assertEquals(loadConfig([], { RBEE_WORKER_SLOTS: "4" }).workerSlots, 4);
  assertEquals(loadConfig(["--worker-slots", "2"], { RBEE_WORKER_SLOTS: "4" }).workerSlots, 2);
  for (const bad of ["0", "65", "two"]) {
    assertThrows(() => loadConfig(["--worker-slots", bad], {}), RbeeError);
  }
});
