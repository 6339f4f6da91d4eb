/**
 * A hive that is SIGKILLed leaves its workers running; the next hive started
 * on the same RBEE_HOME finds them in its state file and re-adopts the healthy
 * ones (same PID, still serving) or kills the others. No orphan survives.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { type DaemonChild, startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";
import { readSse } from "../shared/sse.ts";
import { createWorld, type TestWorld } from "./support/cluster.ts";
import { isAlive, pidsMentioning, waitGone } from "./support/processes.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";

async function startHive(world: TestWorld): Promise<DaemonChild> {
  const { command, args } = roleCommand("hive");
  return await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--home", world.home],
    env: world.env,
    name: "Hive",
    forwardStderr: false,
    readyTimeoutMs: 60_000,
  });
}

async function spawnWorker(hive: DaemonChild): Promise<{ id: string; pid: number }> {
  const res = await fetch(`${hive.url}/v1/workers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL }),
  });
  assertEquals(res.status, 201, await res.clone().text());
  return await res.json();
}

async function withHomes(fn: (world: TestWorld, hives: DaemonChild[]) => Promise<void>) {
  const world = await createWorld();
  const hives: DaemonChild[] = [];
  let left: number[] = [];
  try {
    await fn(world, hives);
  } catch (err) {
    for (const h of hives) console.error(h.stderrTail().join("\n"));
    throw err;
  } finally {
    await Promise.all(hives.map((h) => h.stop(10_000)));
    left = await waitGone(pidsMentioning(world.home), 5000);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    await world.close();
  }
  assertEquals(left, [], "a process outlived its hive");
}

Deno.test("after a hive is SIGKILLed, the next hive re-adopts its healthy worker and stops it on SIGTERM", async () => {
  await withHomes(async (world, hives) => {
    hives.push(await startHive(world));
    const worker = await spawnWorker(hives[0]);
    hives[0].process.kill("SIGKILL");
    await hives[0].exited;
    assertTrue(isAlive(worker.pid), "the worker should outlive a SIGKILLed hive");

    hives.push(await startHive(world));
    const { workers } = await (await fetch(`${hives[1].url}/v1/workers`)).json();
    assertEquals(workers.map((w: Record<string, unknown>) => [w.id, w.pid, w.state, w.adopted]), [
      [worker.id, worker.pid, "idle", true],
    ]);
    const res = await fetch(`${hives[1].url}/v1/workers/${worker.id}/inference`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Once", max_tokens: 3, temperature: 0 }),
    });
    const kinds = [];
    for await (const ev of readSse(res.body!)) kinds.push(ev.event ?? ev.data);
    assertEquals(kinds.filter((k) => k === "token").length, 3, "the adopted worker serves requests");

    await hives[1].stop(10_000);
    assertEquals(await waitGone([worker.pid], 2000), [], "the hive did not stop its adopted worker");
  });
});

Deno.test("a leftover worker that does not answer its health check is killed by the next hive", async () => {
  await withHomes(async (world, hives) => {
    hives.push(await startHive(world));
    const worker = await spawnWorker(hives[0]);
    hives[0].process.kill("SIGKILL");
    await hives[0].exited;
    Deno.kill(worker.pid, "SIGSTOP"); // hung: alive, but answers nothing

    hives.push(await startHive(world));
    assertEquals(await waitGone([worker.pid], 1000), [], "the hung leftover is still alive");
    const { workers } = await (await fetch(`${hives[1].url}/v1/workers`)).json();
    assertEquals(workers, []);
  });
});
