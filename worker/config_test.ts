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
    dtype: "fp32",
    port: 0,
    workerId: "w-1",
    hiveUrl: undefined,
    slots: 1,
  });
});

Deno.test("--dtype picks the ONNX variant to load", () => {
  assertEquals(loadConfig(["--model-dir", "/m", "--dtype", "q8"], {}).dtype, "q8");
});

Deno.test("--slots takes 1 to 64 requests at once", () => {
  const base = ["--model-dir", "/m"];
  assertEquals(loadConfig([...base, "--slots", "4"], {}).slots, 4);
  for (const bad of ["0", "65", "1.5", "many"]) {
    assertEquals(
      assertThrows(() => loadConfig([...base, "--slots", bad], {}), RbeeError).code,
      "VALIDATION_ERROR",
    );
  }
});

Deno.test("refuses an unknown backend, a bad device, an unknown dtype and unknown flags", () => {
  for (
    const args of [
      ["--model-dir", "/m", "--backend", "tpu"],
      ["--model-dir", "/m", "--device", "-1"],
      ["--model-dir", "/m", "--dtype", "int3"],
      ["--model-dir", "/m", "--bogus"],
      [],
    ]
  ) {
    assertEquals(assertThrows(() => loadConfig(args, {}), RbeeError).code, "VALIDATION_ERROR");
  }
});
