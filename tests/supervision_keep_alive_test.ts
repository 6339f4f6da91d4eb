/**
 * Keep-alive with real (fake) worker processes: an idle worker is unloaded
 * once its keep-alive has passed, at once after a request with keep_alive 0,
 * and never with a negative one; and with real workers, a request's
 * keep_alive given to the queen reaches the hive.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { type TestQueen, waitForLog, withQueen } from "./support/cluster.ts";
import { eventually, FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";
import { isAlive } from "./support/processes.ts";

Deno.test("an idle worker is unloaded after the hive's keep-alive", async () => {
  await withFakeWorkers({ keepAliveMs: 300, heartbeatMs: 50 }, async ({ supervisor, log }) => {
    const w = await supervisor.spawn(FAKE_SPEC);
    assertTrue(w.unload_at, "an idle worker shows when it will be unloaded");
    await eventually("the worker to be unloaded", () => supervisor.list().length === 0, 3000);
    assertEquals(isAlive(w.pid!), false);
    assertEquals(log.find((l) => l.msg === "Unloading idle worker")?.keep_alive_ms, 300);
  });
});

Deno.test("keep_alive 0 unloads right after the request; a negative one keeps the worker", async () => {
  await withFakeWorkers({ keepAliveMs: 60_000, heartbeatMs: 50 }, async ({ supervisor }) => {
    const kept = await supervisor.spawn(FAKE_SPEC);
    assertTrue(supervisor.acquire(kept.id));
    supervisor.release(kept.id, -1);
    assertEquals(supervisor.get(kept.id).unload_at, undefined);

    const once = await supervisor.spawn({ ...FAKE_SPEC, device: 1 });
    assertTrue(supervisor.acquire(once.id));
    supervisor.release(once.id, 0);
    await eventually("the keep_alive 0 worker to go", () => !isAlive(once.pid!), 3000);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(supervisor.list().map((w) => [w.id, w.state]), [[kept.id, "idle"]]);
  });
});

const MODEL = "hf:karpathy/tinyllamas:stories260K";

async function post(queen: TestQueen, path: string, body: Record<string, unknown>) {
  const res = await fetch(`${queen.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", temperature: 0, ...body }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function workers(queen: TestQueen): Promise<{ id: string; pid: number; unload_at?: string }[]> {
  return (await (await fetch(`${queen.url}/v2/workers`)).json()).workers;
}

async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

Deno.test('keep_alive through the queen: "0" unloads the worker after the request, natively and over OpenAI', async () => {
  await withQueen(async (queen) => {
    const bad = await post(queen, "/v2/inference", { keep_alive: "soon" });
    assertEquals([bad.status, JSON.parse(bad.text).error.details.issues[0].field], [400, "keep_alive"]);

    const kept = await post(queen, "/v2/inference", { max_tokens: 5 });
    assertEquals(kept.status, 200);
    const [w] = await workers(queen);
    assertTrue(w?.unload_at, "without keep_alive the worker stays loaded (the hive's default)");

    const once = await post(queen, "/v2/inference", { max_tokens: 5, keep_alive: "0" });
    assertStringIncludes(once.text, "event: end");
    await until("the worker to be unloaded", async () => (await workers(queen)).length === 0);
    assertEquals(isAlive(w.pid), false);
    await waitForLog(queen, /"msg":"Unloading idle worker".*"keep_alive_ms":0/);

    const openAi = await post(queen, "/v1/completions", { max_tokens: 5, keep_alive: 0 });
    assertEquals(openAi.status, 200, openAi.text);
    await until(
      "the OpenAI request's worker to be unloaded",
      async () => (await workers(queen)).length === 0,
    );
    const unloads = queen.log.filter((l) => l.includes('"msg":"Unloading idle worker"'));
    assertEquals(unloads.length, 2);
  });
});
