import { Hono } from "hono";
import { assertEquals, assertThrows, assertTrue } from "./testing.ts";
import { checkBindPolicy, requireToken } from "./auth.ts";
import { RbeeError } from "./errors.ts";
import type { AppEnv } from "./http.ts";

const TOKEN = "test-token-0123456789";
const app = new Hono<AppEnv>();
app.use(requireToken({ current: () => TOKEN }));
app.get("/health", (c) => c.json({ ok: true }));
app.on(["GET", "POST", "PUT", "DELETE", "PATCH"], "/v1/thing", (c) => c.json({ ok: true }));

Deno.test("every method needs the token except GET /health", async () => {
  assertEquals((await app.request("/health")).status, 200);
  for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
    const none = await app.request("/v1/thing", { method });
    assertEquals([none.status, (await none.json()).error.code], [401, "MISSING_API_KEY"], method);
    const wrong = await app.request("/v1/thing", {
      method,
      headers: { authorization: "Bearer wrong-token-0000000" },
    });
    assertEquals([wrong.status, (await wrong.json()).error.code], [401, "INVALID_API_KEY"], method);
    const right = await app.request("/v1/thing", { method, headers: { authorization: `Bearer ${TOKEN}` } });
    assertEquals(right.status, 200, method);
  }
  const post = await app.request("/health", { method: "POST" });
  assertEquals(post.status, 401);
});

Deno.test("without a token only loopback binds are allowed", () => {
  assertTrue(checkBindPolicy("queen", "127.0.0.1", null)?.includes("without a token"));
  assertEquals(checkBindPolicy("queen", "0.0.0.0", TOKEN), null);
  const err = assertThrows(() => checkBindPolicy("queen", "0.0.0.0", null), RbeeError);
  assertTrue(err.message.startsWith("Refusing to start queen on '0.0.0.0' without a token"));
});
