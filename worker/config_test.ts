import { assertEquals, assertThrows } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { loadConfig } from "./config.ts";

Deno.test("defaults: cpu, device 0, a free port", () => {
  const config = loadConfig(["--model-dir", "/m/tiny", "--worker-id", "w-1"], {});
  assertEquals(config, {
    modelDir: "/m/tiny",
    modelName: "tiny",
    backend: "cpu",
    device: 0,
    port: 0,
    workerId: "w-1",
    hiveUrl: undefined,
  });
});

Deno.test("refuses an unknown backend, a bad device and unknown flags", () => {
  for (
    const args of [
      ["--model-dir", "/m", "--backend", "tpu"],
      ["--model-dir", "/m", "--device", "-1"],
      ["--model-dir", "/m", "--bogus"],
      [],
    ]
  ) {
    assertEquals(assertThrows(() => loadConfig(args, {}), RbeeError).code, "VALIDATION_ERROR");
  }
});
