import { assertEquals } from "../shared/testing.ts";
import { createLogger } from "../shared/log.ts";
import { createHiveApp } from "./app.ts";
import { Supervisor } from "./supervisor.ts";
import { RbeeError } from "../shared/errors.ts";

const log = createLogger("test", "error");
const supervisor = new Supervisor({
  log,
  hiveUrl: () => "http://127.0.0.1:1",
  launcher: () => {
    throw new Error("no worker is spawned by these tests");
  },
});
const models = {
  ensure: (ref: string) => Promise.reject(new RbeeError("MODEL_NOT_FOUND", `Model '${ref}' not found`)),
};
const app = createHiveApp({ name: "test", supervisor, models, log });

const post = (path: string, body: unknown) =>
  app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

Deno.test("health and the worker list answer", async () => {
  assertEquals(await (await app.request("/health")).json(), { status: "ok", name: "test" });
  assertEquals(await (await app.request("/v1/workers")).json(), { workers: [] });
});

Deno.test("a spawn request is validated before anything happens", async () => {
  const res = await post("/v1/workers", { model: "hf:a/b", backend: "tpu" });
  assertEquals(res.status, 400);
  const body = await res.json();
  assertEquals(body.error.code, "VALIDATION_ERROR");
  assertEquals(body.error.details.issues[0].field, "backend");
  assertEquals(JSON.stringify(body).includes("tpu"), false, "the submitted value is echoed");
});

Deno.test("errors from the model store keep their code and status", async () => {
  const res = await post("/v1/workers", { model: "hf:a/b" });
  assertEquals(res.status, 404);
  assertEquals((await res.json()).error.code, "MODEL_NOT_FOUND");
});

Deno.test("unknown workers, bad ids, bad JSON and unknown routes get the error envelope", async () => {
  const unknown = await post("/v1/workers/w-nope/inference", { prompt: "x" });
  assertEquals([unknown.status, (await unknown.json()).error.code], [404, "WORKER_NOT_FOUND"]);
  const badId = await app.request("/v1/workers/..%2Fetc", { method: "DELETE" });
  assertEquals([badId.status, (await badId.json()).error.code], [400, "VALIDATION_ERROR"]);
  const badJson = await app.request("/v1/workers", { method: "POST", body: "{" });
  assertEquals([badJson.status, (await badJson.json()).error.code], [400, "VALIDATION_ERROR"]);
  const route = await app.request("/v1/nothing");
  assertEquals([route.status, (await route.json()).error.code], [404, "NOT_FOUND"]);
  const huge = await app.request("/v1/workers", { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
  assertEquals([huge.status, (await huge.json()).error.code], [413, "PAYLOAD_TOO_LARGE"]);
});
