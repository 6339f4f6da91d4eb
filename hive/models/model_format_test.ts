import { RbeeError } from "../../shared/errors.ts";
import { assertEquals, assertStringIncludes, assertThrows } from "../../shared/testing.ts";
import { type ListedFile, planModel } from "./model_format.ts";

const REF = "hf:o/r@main";

function listing(...paths: Array<string | [string, number]>): ListedFile[] {
  return paths.map((p) => typeof p === "string" ? { path: p, size: 10 } : { path: p[0], size: p[1] });
}

Deno.test("the ONNX layout fetches the fp32 model, its tokenizer files and its external data", () => {
  const files = listing(
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "onnx/model.onnx",
    "onnx/model.onnx_data",
    "onnx/model_quantized.onnx",
    "onnx/model_fp16.onnx_data",
  );
  assertEquals(planModel(files, REF), {
    format: "onnx",
    files: [
      "config.json",
      "tokenizer.json",
      "onnx/model.onnx",
      "generation_config.json",
      "onnx/model.onnx_data",
      "tokenizer_config.json",
    ],
  });
});

Deno.test("an ONNX layout without the fp32 model or tokenizer is INVALID_MODEL_FILE naming what is missing", () => {
  const noFp32 = assertThrows(
    () => planModel(listing("config.json", "tokenizer.json", "onnx/model_q4.onnx"), REF),
    RbeeError,
  );
  assertEquals(noFp32.code, "INVALID_MODEL_FILE");
  assertStringIncludes(noFp32.message, "'onnx/model.onnx'");
  const noTokenizer = assertThrows(
    () => planModel(listing("config.json", "onnx/model.onnx"), REF),
    RbeeError,
  );
  assertStringIncludes(noTokenizer.message, "'tokenizer.json'");
});

Deno.test("a llama2.c folder picks the largest non-tokenizer .bin as the checkpoint", () => {
  const files = listing(
    ["stories260K.bin", 1056540],
    ["tok512.bin", 6227],
    ["small.bin", 100],
    ["pytorch_model.bin", 9_000_000],
    ["nested/huge.bin", 9_000_000],
    ["stories260K.pt", 2_000_000],
  );
  assertEquals(planModel(files, REF), {
    format: "llama2c",
    checkpoint: "stories260K.bin",
    tokenizer: "tok512.bin",
  });
});

Deno.test("a folder in neither layout is INVALID_MODEL_FILE", () => {
  for (
    const files of [
      listing(),
      listing("stories260K.bin"),
      listing("tok512.bin"),
      listing("config.json", "model.safetensors"),
    ]
  ) {
    const err = assertThrows(() => planModel(files, REF), RbeeError);
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertStringIncludes(err.message, `'${REF}'`);
  }
});

Deno.test("a dtype fetches only its own ONNX variant and that variant's external data", () => {
  const files = listing(
    "config.json",
    "tokenizer.json",
    "onnx/model.onnx",
    "onnx/model.onnx_data",
    "onnx/model_fp16.onnx",
    "onnx/model_fp16.onnx_data",
    "onnx/model_fp16.onnx_data_1",
    "onnx/model_quantized.onnx",
    "onnx/model_q4.onnx",
    "onnx/model_q4f16.onnx",
  );
  const graphs = (dtype: "fp16" | "q8" | "q4") => (planModel(files, REF, dtype) as { files: string[] }).files;
  assertEquals(graphs("fp16"), [
    "config.json",
    "tokenizer.json",
    "onnx/model_fp16.onnx",
    "onnx/model_fp16.onnx_data",
    "onnx/model_fp16.onnx_data_1",
  ]);
  assertEquals(graphs("q8"), ["config.json", "tokenizer.json", "onnx/model_quantized.onnx"]);
  assertEquals(graphs("q4"), ["config.json", "tokenizer.json", "onnx/model_q4.onnx"]);
});

Deno.test("a missing variant is INVALID_MODEL_FILE naming the dtype, its file and the variants there are", () => {
  const files = listing("config.json", "tokenizer.json", "onnx/model.onnx", "onnx/model_quantized.onnx");
  const err = assertThrows(() => planModel(files, REF, "q4"), RbeeError);
  assertEquals(err.code, "INVALID_MODEL_FILE");
  assertEquals(
    err.message,
    `Model '${REF}' has no q4 variant ('onnx/model_q4.onnx') in its ONNX layout; it has fp32, q8`,
  );
});

Deno.test("a llama2.c checkpoint exists in fp32 only: another dtype is a clear error", () => {
  const files = listing(["stories260K.bin", 1056540], ["tok512.bin", 6227]);
  const err = assertThrows(() => planModel(files, REF, "fp16"), RbeeError);
  assertEquals(err.code, "INVALID_MODEL_FILE");
  assertStringIncludes(err.message, "llama2.c checkpoint, which rbee imports in fp32 only: dtype 'fp16'");
  assertEquals(planModel(files, REF, "fp32").format, "llama2c");
});
