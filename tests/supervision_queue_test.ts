/**
 * The queen's bounded queue per placement, against a stand-in hive with one
 * worker: with one slot, one request runs, the next waits its turn, the one
 * after is refused at once with 503 ALL_SLOTS_BUSY and a Retry-After header;
 * with two slots (as the hive reports them), two run at once.
 */
import { Hono } from "hono";
import { assertEquals } from "../shared/testing.ts";
import { type AppEnv, installCommonHandlers } from "../shared/http.ts";
import { RbeeError } from "../shared/errors.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import { HiveClient } from "../queen/hive_client.ts";
import { Router } from "../queen/router.ts";
import { memoryLogger } from "./support/supervised.ts";

const MODEL = formatModelRef(parseModelRef("hf:fake/model"));

/** A hive with one idle worker of `slots` slots, whose streams end when the test says so. */
function standInHive(slots = 1) {
  const gates: PromiseWithResolvers<void>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/v1/workers") {
      const w = {
        id: "w-1",
        model: MODEL,
        backend: "cpu",
        device: 0,
        state: "idle",
        pid: 1,
        started_at: "x",
        port: 1,
        slots,
        active: 0,
        restart_count: 0,
        last_heartbeat: null,
        breaker: { state: "closed", failures: 0 },
      };
      return Response.json({ workers: [w] });
    }
    const gate = Promise.withResolvers<void>();
    gates.push(gate);
    const body = new ReadableStream({
      async start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode(`event: started\ndata: {"request_id":"r","model":"m","tokens_in":1}\n\n`));
        await gate.promise;
        c.enqueue(enc.encode(`event: end\ndata: {"tokens_in":1,"tokens_out":0,"stop_reason":"length"}\n\n`));
        c.enqueue(enc.encode("data: [DONE]\n\n"));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, gates, close: () => server.shutdown() };
}

async function drain(events: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of events) n++;
  return n;
}

Deno.test("one request runs, one waits, the next is refused with ALL_SLOTS_BUSY", async () => {
  const hive = standInHive();
  const router = new Router(() => [new HiveClient("h", hive.url)], memoryLogger(), {
    slots: 1,
    maxWaiting: 1,
  });
  const req = { model: MODEL, backend: "cpu" as const, device: 0, params: { prompt: "x" } as never };
  const signal = new AbortController().signal;
  try {
    const first = router.run(req, "c1", signal)[Symbol.asyncIterator]();
    assertEquals((await first.next()).value?.event, "started");
    const second = drain(router.run(req, "c2", signal));
    await new Promise((r) => setTimeout(r, 50));
    const refused = await router.run(req, "c3", signal)[Symbol.asyncIterator]().next().then(
      () => null,
      (e) => e,
    );
    assertEquals([refused?.code, refused?.details?.retry_after_s], ["ALL_SLOTS_BUSY", 1]);
    assertEquals(hive.gates.length, 1, "the waiting request reached the worker early");
    hive.gates[0].resolve();
    while ((await first.next()).done === false) { /* drain */ }
    while (hive.gates.length < 2) await new Promise((r) => setTimeout(r, 10));
    hive.gates[1].resolve();
    assertEquals(await second, 2, "the waiting request was served after the first");
  } finally {
    hive.gates.forEach((g) => g.resolve());
    await hive.close();
  }
});

Deno.test("a worker with two slots runs two requests at once; the third waits for one of them", async () => {
  const hive = standInHive(2);
  const router = new Router(() => [new HiveClient("h", hive.url)], memoryLogger(), {
    slots: 1,
    maxWaiting: 4,
  });
  const req = { model: MODEL, backend: "cpu" as const, device: 0, params: { prompt: "x" } as never };
  const signal = new AbortController().signal;
  try {
    const first = router.run(req, "c1", signal)[Symbol.asyncIterator]();
    assertEquals((await first.next()).value?.event, "started");
    const second = router.run(req, "c2", signal)[Symbol.asyncIterator]();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), 2000)));
    const started = await Promise.race([second.next(), late]).finally(() => clearTimeout(timer));
    assertEquals(started?.value?.event, "started", "the second request waited for the first");
    const third = drain(router.run(req, "c3", signal));
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(hive.gates.length, 2, "a third request reached the two-slot worker");
    hive.gates[1].resolve();
    while ((await second.next()).done === false) { /* drain */ }
    while (hive.gates.length < 3) await new Promise((r) => setTimeout(r, 10));
    hive.gates[2].resolve();
    assertEquals(await third, 2);
    hive.gates[0].resolve();
    while ((await first.next()).done === false) { /* drain */ }
  } finally {
    hive.gates.forEach((g) => g.resolve());
    await hive.close();
  }
});

Deno.test("an ALL_SLOTS_BUSY refusal is a 503 with a Retry-After header", async () => {
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, memoryLogger());
  app.get("/", () => {
    throw new RbeeError("ALL_SLOTS_BUSY", "Busy", { retry_after_s: 2 });
  });
  const res = await app.request("/");
  assertEquals([res.status, res.headers.get("retry-after")], [503, "2"]);
  assertEquals((await res.json()).error.code, "ALL_SLOTS_BUSY");
});
