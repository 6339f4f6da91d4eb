import { assertEquals, assertThrows } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { loadConfig } from "./config.ts";

Deno.test("defaults: 127.0.0.1:7833, a local hive on 7835, cpu", () => {
  const c = loadConfig([], { HOME: "/h" });
  assertEquals([c.host, c.port, c.home, c.hiveUrl, c.localHivePort, c.defaultBackend], [
    "127.0.0.1",
    7833,
    "/h/.rbee",
    undefined,
    7835,
    "cpu",
  ]);
});

Deno.test("refuses a bad backend and a bad hive URL", () => {
  assertEquals(assertThrows(() => loadConfig(["--backend", "tpu"], {}), RbeeError).code, "VALIDATION_ERROR");
  assertEquals(
    assertThrows(() => loadConfig(["--hive-url", "nope"], {}), RbeeError).code,
    "VALIDATION_ERROR",
  );
});
