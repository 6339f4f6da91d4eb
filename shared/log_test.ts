import { assertEquals } from "./testing.ts";
import { redact } from "./log.ts";

Deno.test("redacts secret-looking keys at any depth, keeps token counts", () => {
  assertEquals(
    redact({
      token: "s3cret",
      hf_token: "x",
      nested: { authorization: "Bearer y" },
      tokens_out: 3,
      ttft_token_ms: 1,
    }),
    {
      token: "[redacted]",
      hf_token: "[redacted]",
      nested: { authorization: "[redacted]" },
      tokens_out: 3,
      ttft_token_ms: 1,
    },
  );
});
