import { assertEquals } from "../shared/testing.ts";
import { placementKey } from "./worker_record.ts";

Deno.test("each precision of a model is its own placement (and breaker); fp32 keys stay as before", () => {
  const base = { model: "hf:a/b@main", backend: "cpu", device: 0 };
  assertEquals(placementKey(base), "hf:a/b@main|cpu|0");
  assertEquals(placementKey({ ...base, dtype: "fp32" }), "hf:a/b@main|cpu|0");
  assertEquals(placementKey({ ...base, dtype: "q8" }), "hf:a/b@main|cpu|0|q8");
});
