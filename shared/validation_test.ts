import { assertEquals, assertRejects } from "./testing.ts";
import { RbeeError } from "./errors.ts";
import { readJsonBody } from "./validation.ts";

function chunked(text: string): Request {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.slice(i, i + 1000));
      c.close();
    },
  });
  return new Request("http://x/", { method: "POST", body });
}

Deno.test("bodies over the limit are refused with 413, declared or chunked", async () => {
  const big = JSON.stringify({ prompt: "x".repeat(5000) });
  for (const req of [new Request("http://x/", { method: "POST", body: big }), chunked(big)]) {
    const err = await assertRejects(() => readJsonBody(req, 1000), RbeeError);
    assertEquals([err.code, err.status], ["PAYLOAD_TOO_LARGE", 413]);
  }
});

Deno.test("small bodies parse either way; bad JSON is a validation error", async () => {
  assertEquals(await readJsonBody(chunked('{"a":1}'), 1000), { a: 1 });
  assertEquals(await readJsonBody(new Request("http://x/", { method: "POST", body: '{"a":1}' }), 1000), {
    a: 1,
  });
  const err = await assertRejects(() => readJsonBody(chunked("{"), 1000), RbeeError);
  assertEquals(err.code, "VALIDATION_ERROR");
});
