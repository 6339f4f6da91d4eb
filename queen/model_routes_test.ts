import { assertEquals } from "../shared/testing.ts";
import type { ModelInfo } from "../shared/contracts/models.ts";
import { mergeModelLists } from "./model_routes.ts";

const model = (ref: string, dtype: string, last_used: string | null = null): ModelInfo => ({
  ref,
  commit: null,
  format: "onnx",
  dtype,
  size: 1,
  files: [],
  pulled_at: "2026-01-01T00:00:00Z",
  last_used,
});

Deno.test("merged lists hold one entry per reference and precision, fp32 first, with their hives", () => {
  const merged = mergeModelLists([
    { hive: "a", models: [model("hf:o/r@main", "q8"), model("hf:o/r@main", "fp32")] },
    { hive: "b", models: [model("hf:o/r@main", "q8", "2026-02-01T00:00:00Z"), model("hf:a/z@main", "q4")] },
  ]);
  assertEquals(merged.map((m) => [m.ref, m.dtype, m.hives, m.last_used]), [
    ["hf:a/z@main", "q4", ["b"], null],
    ["hf:o/r@main", "fp32", ["a"], null],
    ["hf:o/r@main", "q8", ["a", "b"], "2026-02-01T00:00:00Z"],
  ]);
});
