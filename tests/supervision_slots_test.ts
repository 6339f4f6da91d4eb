/**
 * A worker with two slots (the hive's --worker-slots, here RBEE_WORKER_SLOTS)
 * generates two requests at once, each with its own KV cache: two streams with
 * different seeds, run together, give the very texts they give when run alone.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { readSse } from "../shared/sse.ts";
import { type TestQueen, withQueen } from "./support/cluster.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";

interface Run {
  text: string;
  tokens: number;
}

/** Runs one request to its end; `order` gets each event as `tag:event`, in arrival order across streams. */
async function stream(queen: TestQueen, seed: number, order: string[], tag: string): Promise<Run> {
  const res = await fetch(`${queen.url}/v2/inference`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", temperature: 1, seed, max_tokens: 80 }),
  });
  assertEquals(res.status, 200);
  let text = "";
  let tokens = 0;
  for await (const ev of readSse(res.body!)) {
    if (ev.event) order.push(`${tag}:${ev.event}`);
    if (ev.event === "error") throw new Error(`stream ${tag} failed: ${ev.data}`);
    if (ev.event === "token") {
      text += JSON.parse(ev.data).text;
      tokens++;
    }
  }
  return { text, tokens };
}

Deno.test("two streams at once on a two-slot worker give the same texts as alone", async () => {
  await withQueen(async (queen) => {
    const alone = [await stream(queen, 1, [], "a"), await stream(queen, 2, [], "b")];
    assertTrue(alone[0].text !== alone[1].text, "the two seeds gave the same text");
    assertTrue(alone.every((r) => r.tokens > 20), "a stream ended too early to overlap");

    const order: string[] = [];
    const together = await Promise.all([stream(queen, 1, order, "a"), stream(queen, 2, order, "b")]);
    assertEquals(together.map((r) => r.text), alone.map((r) => r.text));
    // With one slot the second stream could only start once the first had ended.
    const firstEnd = Math.min(order.indexOf("a:end"), order.indexOf("b:end"));
    assertTrue(
      order.indexOf("a:token") < firstEnd && order.indexOf("b:token") < firstEnd,
      "the two requests did not run at the same time",
    );

    const { workers } = await (await fetch(`${queen.url}/v2/workers`)).json();
    assertEquals(workers.map((w: { slots: number; state: string }) => [w.slots, w.state]), [[2, "idle"]]);
  }, (world) => {
    world.env.RBEE_WORKER_SLOTS = "2";
    return Promise.resolve([]);
  });
});
