/**
 * A real worker SIGKILLed in the middle of a stream: the client gets the
 * tokens already generated, then a WORKER_CRASHED error event (no hang, no
 * silent truncation), and the next request is served by a new worker process.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { readSse } from "../shared/sse.ts";
import { type TestQueen, withQueen } from "./support/cluster.ts";
import { descendants, pidsMentioning } from "./support/processes.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";

function infer(queen: TestQueen, body: Record<string, unknown>) {
  return fetch(`${queen.url}/v2/inference`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", ...body }),
  });
}

function workerPids(queen: TestQueen): number[] {
  return descendants(queen.child.pid).filter((pid) =>
    pidsMentioning("worker/main.ts").includes(pid) && pidsMentioning("--worker-id").includes(pid)
  );
}

Deno.test("a worker SIGKILLed mid-stream: tokens, then WORKER_CRASHED; the next request gets a new worker", async () => {
  await withQueen(async (queen) => {
    const res = await infer(queen, { max_tokens: 2000, temperature: 0.8, seed: 1 });
    assertEquals(res.status, 200);
    const events: { event?: string; data: string }[] = [];
    let killed: number | null = null;
    let seen = 0;
    for await (const ev of readSse(res.body!)) {
      events.push(ev);
      if (ev.event === "token" && ++seen === 10) {
        const [pid] = workerPids(queen);
        assertTrue(pid, "no worker process found");
        Deno.kill(pid, "SIGKILL");
        killed = pid;
      }
    }
    const kinds = events.map((e) => e.event ?? e.data);
    const tokens = kinds.filter((k) => k === "token").length;
    assertTrue(tokens >= 9 && tokens < 2000, `${tokens} tokens before the crash`);
    const error = events.find((e) => e.event === "error");
    assertTrue(error, `no error event in ${kinds.slice(-5).join(",")}`);
    assertEquals(JSON.parse(error.data).code, "WORKER_CRASHED");
    assertEquals(kinds.indexOf("error") > kinds.lastIndexOf("token"), true);
    assertEquals(kinds.includes("end"), false, "a crash must not look like a normal end");

    const next = await infer(queen, { max_tokens: 5, temperature: 0 });
    assertEquals(next.status, 200);
    const after = [];
    for await (const ev of readSse(next.body!)) after.push(ev.event ?? ev.data);
    assertEquals(after.filter((k) => k === "token").length, 5);
    assertTrue(after.includes("end"));
    const [newPid] = workerPids(queen);
    assertTrue(newPid && newPid !== killed, "the next request was not served by a new worker");
  });
});
