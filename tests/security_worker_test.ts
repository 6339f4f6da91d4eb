/**
 * The worker's side of the trust boundary: every route but health needs the
 * per-worker token the hive generated, deadlines are enforced at the worker
 * itself, and the hive accepts a worker's ready call only with that token.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";
import { readSse } from "../shared/sse.ts";
import { importLlama2c } from "../hive/llama2c/import.ts";
import { hfMirrorDir } from "./support/fake_hub.ts";
import { createWorld, startHiveWithToken } from "./support/cluster.ts";

const WORKER_TOKEN = "worker-secret-token-0123456789";

async function withWorker(fn: (url: string) => Promise<void>) {
  const world = await createWorld();
  const modelDir = `${world.home}/model`;
  await Deno.mkdir(modelDir);
  const src = `${hfMirrorDir()}/karpathy/tinyllamas/resolve/main/stories260K`;
  await importLlama2c({
    checkpointPath: `${src}/stories260K.bin`,
    tokenizerPath: `${src}/tok512.bin`,
    outDir: modelDir,
  });
  const { command, args } = roleCommand("worker", { read: [modelDir] });
  const worker = await startDaemonChild({
    command,
    args: [...args, "--model-dir", modelDir, "--worker-id", "w-test"],
    env: { ...world.env, RBEE_WORKER_TOKEN: WORKER_TOKEN },
    name: "Worker",
  });
  try {
    // Wait for the model: health says idle.
    for (let i = 0; i < 100; i++) {
      const health = await (await fetch(`${worker.url}/health`)).json();
      if (health.state === "idle") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await fn(worker.url);
    assertEquals(worker.stderrTail().join("\n").includes(WORKER_TOKEN), false, "the worker logged its token");
  } finally {
    await worker.stop();
    await world.close();
  }
}

Deno.test("every worker route and method needs the per-worker token", async () => {
  await withWorker(async (url) => {
    for (const path of ["/v1/inference", "/v1/shutdown", "/v1/anything"]) {
      for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
        const none = await fetch(url + path, { method });
        assertEquals(
          [none.status, (await none.json()).error.code],
          [401, "MISSING_API_KEY"],
          `${method} ${path}`,
        );
        const wrong = await fetch(url + path, {
          method,
          headers: { authorization: "Bearer some-other-token-000000" },
        });
        assertEquals(
          [wrong.status, (await wrong.json()).error.code],
          [401, "INVALID_API_KEY"],
          `${method} ${path}`,
        );
      }
    }
    const ok = await fetch(`${url}/v1/inference`, {
      method: "POST",
      headers: { authorization: `Bearer ${WORKER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 3, temperature: 0 }),
    });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  });
});

Deno.test("the worker enforces the deadline it is given: 504 when already past, an error event when it passes", async () => {
  await withWorker(async (url) => {
    const post = (deadline: number) =>
      fetch(`${url}/v1/inference`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${WORKER_TOKEN}`,
          "content-type": "application/json",
          "x-request-deadline": String(deadline),
        },
        body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 500, seed: 1 }),
      });
    const past = await post(Date.now() - 1000);
    assertEquals([past.status, (await past.json()).error.code], [504, "DEADLINE_EXCEEDED"]);
    const events = [];
    for await (const ev of readSse((await post(Date.now() + 150)).body!)) events.push(ev);
    assertEquals(events.at(-1)?.event, "error");
    assertEquals(JSON.parse(events.at(-1)!.data).code, "DEADLINE_EXCEEDED");
    assertTrue(events.filter((e) => e.event === "token").length < 500);
  });
});

Deno.test("a hive accepts a worker's ready call only with that worker's token", async () => {
  const world = await createWorld();
  const hiveToken = "hive-secret-token-0123456789";
  const hive = await startHiveWithToken(world, hiveToken);
  try {
    const ready = (auth: Record<string, string>) =>
      fetch(`${hive.url}/v1/workers/w-12345678/ready`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({ worker_id: "w-12345678", url: "http://127.0.0.1:9" }),
      });
    const none = await ready({});
    assertEquals([none.status, (await none.json()).error.code], [401, "MISSING_API_KEY"]);
    // Not even the hive's own token will do: only the one given to that worker.
    const hiveOwn = await ready({ authorization: `Bearer ${hiveToken}` });
    assertEquals([hiveOwn.status, (await hiveOwn.json()).error.code], [401, "INVALID_API_KEY"]);
  } finally {
    await hive.stop();
    await world.close();
  }
});
