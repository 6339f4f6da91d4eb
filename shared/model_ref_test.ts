import { assertEquals, assertThrows } from "./testing.ts";
import { DEFAULT_MODEL, formatModelRef, parseModelRef } from "./model_ref.ts";
import { RbeeError } from "./errors.ts";

Deno.test("parses the default model with its subfolder and the main revision", () => {
  assertEquals(parseModelRef(DEFAULT_MODEL), {
    kind: "hf",
    org: "karpathy",
    repo: "tinyllamas",
    subfolder: "stories260K",
    revision: "main",
  });
});

Deno.test("parses a revision and formats the canonical reference", () => {
  const ref = parseModelRef("hf:Xenova/llama2.c-stories15M@v1.0");
  assertEquals(formatModelRef(ref), "hf:Xenova/llama2.c-stories15M@v1.0");
});

Deno.test("parses file references", () => {
  assertEquals(parseModelRef("file:/models/tiny"), { kind: "file", path: "/models/tiny" });
});

Deno.test("refuses hostile references with INVALID_MODEL_REF", () => {
  for (
    const ref of [
      "",
      "hf:org",
      "hf:org/repo/extra",
      "hf:../repo",
      "hf:org/repo:../../etc",
      "hf:org/repo@../x",
      "hf:org/re;po",
      "file:/tmp/x;rm -rf /",
      "file:$(id)",
      "file:../../etc",
      "file:a\u0000b",
      "ollama:llama3",
      "hf:org/" + "r".repeat(600),
    ]
  ) {
    const err = assertThrows(() => parseModelRef(ref), RbeeError);
    assertEquals(err.code, "INVALID_MODEL_REF", ref);
  }
});
