/**
 * `rbee workers` against a real queen, hive and worker: the list shows what
 * the hive supervises, `stop` ends the worker's process, `reset-breaker`
 * reaches the hive; with no queen running it says so, exits 1 and starts none.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { createWorld, runRbee, withQueen } from "./support/cluster.ts";
import { isAlive } from "./support/processes.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";
const REF = `${MODEL}@main`;

Deno.test("rbee workers list, stop and reset-breaker through a queen", async () => {
  await withQueen(async (queen, world) => {
    const env = { RBEE_QUEEN_URL: queen.url };
    const empty = await runRbee(world, ["workers", "list"], env);
    assertEquals([empty.code, empty.stdout.trim()], [0, "No workers"], empty.stderr);

    const res = await fetch(`${queen.url}/v2/inference`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Once", max_tokens: 2, temperature: 0 }),
    });
    await res.text();

    const list = await runRbee(world, ["workers", "list"], env);
    assertEquals(list.code, 0, list.stderr);
    const [header, row, ...rest] = list.stdout.trim().split("\n");
    assertEquals(rest, []);
    assertEquals(header.split(/\s{2,}/), [
      "ID",
      "HIVE",
      "MODEL",
      "BACKEND",
      "STATE",
      "PID",
      "PORT",
      "SLOTS",
      "RESTARTS",
      "BREAKER",
      "HEARTBEAT",
      "STARTED",
    ]);
    const cells = row.split(/\s{2,}/);
    assertEquals([cells[1], cells[2], cells[3], cells[4], cells[7], cells[8], cells[9]], [
      "local",
      REF,
      "cpu:0",
      "idle",
      "0/3",
      "0",
      "closed",
    ]);
    const [id, pid, port] = [cells[0], Number(cells[5]), Number(cells[6])];
    assertTrue(isAlive(pid), `the listed pid ${pid} is not a running process`);
    assertTrue(port > 0 && /ago$/.test(cells[11]), row);

    const json = JSON.parse((await runRbee(world, ["workers", "list", "--json"], env)).stdout);
    assertEquals([json.workers[0].id, json.workers[0].slots, json.unreachable], [id, 3, []]);

    const reset = await runRbee(world, ["workers", "reset-breaker", MODEL], env);
    assertEquals(reset.code, 0, reset.stderr);
    assertStringIncludes(reset.stdout, `Reset the breaker of ${REF} on cpu:0 (hives: local)`);

    const stopped = await runRbee(world, ["workers", "stop", id], env);
    assertEquals(stopped.code, 0, stopped.stderr);
    assertEquals(stopped.stdout.trim(), `Stopped ${id} on local`);
    assertEquals(isAlive(pid), false);
    assertEquals((await runRbee(world, ["workers", "list"], env)).stdout.trim(), "No workers");

    const unknown = await runRbee(world, ["workers", "stop", id], env);
    assertEquals(unknown.code, 1);
    assertStringIncludes(unknown.stderr, `WORKER_NOT_FOUND: No worker '${id}' on any hive`);
  }, (world) => {
    world.env.RBEE_WORKER_SLOTS = "3";
    return Promise.resolve([]);
  });
});

Deno.test("rbee workers list without a running queen says so, exits 1 and starts none", async () => {
  const world = await createWorld();
  try {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close(); // a port nothing listens on
    const url = `http://127.0.0.1:${port}`;
    const out = await runRbee(world, ["workers", "list"], { RBEE_QUEEN_URL: url });
    assertEquals(out.code, 1);
    assertStringIncludes(out.stderr, `No queen is running at ${url}`);
    assertEquals(out.stdout, "");
    // An ephemeral queen would have logged to RBEE_HOME/logs (and been stopped by now).
    const logs = await Deno.stat(`${world.home}/logs`).then(() => true, () => false);
    assertEquals([logs, out.stderr.includes("starting one")], [false, false], "a queen was started");

    const usage = await runRbee(world, ["workers", "stop"], { RBEE_QUEEN_URL: url });
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.stderr, "rbee workers stop ID");
  } finally {
    await world.close();
  }
});
