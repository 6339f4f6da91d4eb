import { assertEquals, assertThrows } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { parseInferArgs } from "./infer_args.ts";

Deno.test("defaults to the default model on cpu", () => {
  const cmd = parseInferArgs(["Once", "upon", "a", "time"]);
  assertEquals([cmd.model, cmd.backend, cmd.device, cmd.prompt, cmd.max_tokens], [
    "hf:karpathy/tinyllamas:stories260K",
    "cpu",
    0,
    "Once upon a time",
    256,
  ]);
});

Deno.test("--dtype picks the model's precision (fp32 by default)", () => {
  assertEquals(parseInferArgs(["x"]).dtype, "fp32");
  assertEquals(parseInferArgs(["--dtype", "q4", "x"]).dtype, "q4");
});

Deno.test("reads sampling flags and repeated stops", () => {
  const cmd = parseInferArgs([
    "--temperature",
    "0",
    "--seed",
    "7",
    "--stop",
    ".",
    "--stop",
    "!",
    "--max-tokens",
    "9",
    "x",
  ]);
  assertEquals([cmd.temperature, cmd.seed, cmd.stop, cmd.max_tokens], [0, 7, [".", "!"], 9]);
});

Deno.test("refuses a missing prompt, bad numbers and bad models", () => {
  for (
    const args of [
      [],
      ["--max-tokens", "0", "x"],
      ["--temperature", "abc", "x"],
      ["--backend", "tpu", "x"],
      ["--dtype", "int3", "x"],
      ["--model", "hf:../x", "x"],
    ]
  ) {
    const err = assertThrows(() => parseInferArgs(args), RbeeError);
    assertEquals(["VALIDATION_ERROR", "INVALID_MODEL_REF"].includes(err.code), true, args.join(" "));
  }
});
