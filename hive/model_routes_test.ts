import { Hono } from "hono";
import { join } from "node:path";
import { type AppEnv, installCommonHandlers } from "../shared/http.ts";
import { createLogger } from "../shared/log.ts";
import { readSse } from "../shared/sse.ts";
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { hfMirrorDir, startFakeHub } from "../tests/support/fake_hub.ts";
import { loadConfig } from "./config.ts";
import { createModelProvider, type WorkerControl } from "./model_provider.ts";
import { modelRoutes } from "./model_routes.ts";

const mirror = hfMirrorDir();
const ignore = mirror === null;
const REF = "hf:karpathy/tinyllamas:stories260K@main";

async function withHive(
  fn: (app: Hono<AppEnv>, home: string, workers: FakeWorkers) => Promise<void>,
  env = {},
) {
  const hub = await startFakeHub({ root: mirror! });
  const home = await Deno.makeTempDir();
  const workers = new FakeWorkers();
  try {
    const log = createLogger("hive", "error");
    const config = loadConfig(["--home", home], { HF_ENDPOINT: hub.url });
    const app = new Hono<AppEnv>();
    installCommonHandlers(app, log);
    app.route("/v1/models", modelRoutes(createModelProvider(config, log, { env, workers })));
    await fn(app, home, workers);
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
  }
}

class FakeWorkers implements WorkerControl {
  running: { id: string; model: string; state: string }[] = [];
  stopped: string[] = [];
  list() {
    return this.running;
  }
  stop(id: string) {
    this.stopped.push(id);
    this.running = this.running.filter((w) => w.id !== id);
    return Promise.resolve();
  }
}

async function pull(
  app: Hono<AppEnv>,
  model = REF,
): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const res = await app.request("/v1/models/pull", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model }),
  });
  const events = [];
  for await (const ev of readSse(res.body!)) events.push({ event: ev.event, data: JSON.parse(ev.data) });
  return events;
}

Deno.test(
  "a pulled model is listed and shown from the catalog, without its server path",
  { ignore },
  async () => {
    await withHive(async (app, home) => {
      const events = await pull(app);
      assertEquals(events.at(-1), { event: "done", data: { model: REF, dtype: "fp32" } });
      const list = await (await app.request("/v1/models")).json();
      assertEquals(list.models.map((m: { ref: string }) => m.ref), [REF]);
      const shown = await (await app.request(`/v1/models/show?model=${encodeURIComponent(REF)}`)).json();
      assertEquals([shown.format, shown.dtype, shown.files.length, shown.last_used], [
        "llama2c",
        "fp32",
        2,
        null,
      ]);
      assertTrue(shown.files.every((f: { sha256?: string }) => /^[0-9a-f]{64}$/.test(f.sha256 ?? "")));
      assertTrue(shown.size > 1_000_000);
      assertTrue(!JSON.stringify([list, shown]).includes(home));
    });
  },
);

Deno.test("showing or removing a model that is not installed is MODEL_NOT_FOUND", { ignore }, async () => {
  await withHive(async (app) => {
    const res = await app.request(`/v1/models/show?model=hf:acme/none`);
    assertEquals([res.status, (await res.json()).error.code], [404, "MODEL_NOT_FOUND"]);
    const rm = await app.request(`/v1/models?model=hf:acme/none`, { method: "DELETE" });
    assertEquals(rm.status, 404);
  });
});

Deno.test(
  "rm refuses while a worker uses the model, and --force stops the worker first",
  { ignore },
  async () => {
    await withHive(async (app, home, workers) => {
      await pull(app);
      workers.running = [{ id: "w-1", model: REF, state: "idle" }, {
        id: "w-2",
        model: "hf:other/x@main",
        state: "idle",
      }];
      const refused = await app.request(`/v1/models?model=${encodeURIComponent(REF)}`, { method: "DELETE" });
      const body = await refused.json();
      assertEquals([refused.status, body.error.code, body.error.details.workers], [409, "MODEL_IN_USE", [
        "w-1",
      ]]);
      assertEquals(workers.stopped, []);
      const forced = await app.request(`/v1/models?model=${encodeURIComponent(REF)}&force=true`, {
        method: "DELETE",
      });
      assertEquals(await forced.json(), { ref: REF, dtypes: ["fp32"], stopped_workers: ["w-1"] });
      assertEquals(workers.stopped, ["w-1"]);
      assertEquals((await (await app.request("/v1/models")).json()).models, []);
      const folder = join(home, "models", "hf", "karpathy", "tinyllamas", "stories260K");
      assertEquals([...Deno.readDirSync(folder)].map((e) => e.name), ["refs"]);
    });
  },
);

Deno.test("a pull that does not fit is INSUFFICIENT_DISK on the stream (test hook RBEE_TEST_FREE_BYTES)", {
  ignore,
}, async () => {
  await withHive(async (app) => {
    const events = await pull(app);
    assertEquals(events.at(-1)?.event, "error");
    assertEquals(events.at(-1)?.data.code, "INSUFFICIENT_DISK");
    assertEquals((events.at(-1)?.data.details as Record<string, number>).free_bytes, 1000);
  }, { RBEE_TEST_FREE_BYTES: "1000" });
});
