/**
 * Ctrl+C on `rbee infer`: the request is cancelled at every hop, rbee exits
 * with 130, and in ephemeral mode the tree it started is gone.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { roleCommand } from "../shared/permissions.ts";
import { closedPortUrl } from "./support/fake_hub.ts";
import { createWorld, startQueen, type TestWorld, waitForLog } from "./support/cluster.ts";
import { pidsMentioning } from "./support/processes.ts";

/** Starts `rbee infer`, waits for `minChars` of streamed text, sends SIGINT; returns exit code and text. */
async function interruptRbee(world: TestWorld, env: Record<string, string>, minChars: number) {
  const { command, args } = roleCommand("keeper");
  const child = new Deno.Command(command, {
    args: [...args, "infer", "--max-tokens", "400", "--seed", "3", "Once upon a time"],
    env: { ...world.env, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (text.length < minChars) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain */ }
  return { code: (await child.status).code, text };
}

Deno.test("Ctrl+C cancels the request on a persistent queen, which keeps running", async () => {
  const world = await createWorld();
  const queen = await startQueen(world);
  try {
    const { code, text } = await interruptRbee(world, { RBEE_QUEEN_URL: queen.url }, 40);
    assertEquals(code, 130);
    assertTrue(text.length >= 40);
    const line = await waitForLog(queen, /"msg":"Inference finished".*"stop_reason":"cancelled"/);
    assertTrue(JSON.parse(line).tokens_out < 400);
    assertEquals((await fetch(`${queen.url}/health`)).status, 200, "rbee stopped a queen it did not start");
  } finally {
    await queen.stop();
    await world.close();
  }
});

Deno.test("Ctrl+C in ephemeral mode stops the queen, hive and worker it started", async () => {
  const world = await createWorld();
  try {
    const { code } = await interruptRbee(world, { RBEE_QUEEN_URL: closedPortUrl() }, 20);
    assertEquals(code, 130);
    assertEquals(pidsMentioning(world.home), []);
  } finally {
    await world.close();
  }
});
