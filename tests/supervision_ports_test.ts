/**
 * A daemon asked to listen on a port that is already taken exits non-zero at
 * once with a message naming the address, and leaves nothing running behind
 * it: neither the queen nor the hive it would have started.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { type Role, roleCommand } from "../shared/permissions.ts";
import { createWorld, type TestWorld } from "./support/cluster.ts";
import { pidsMentioning } from "./support/processes.ts";

/** Runs a daemon until it exits (killing it after `timeoutMs`, which fails the test). */
async function runToExit(world: TestWorld, role: Role, extra: string[], timeoutMs = 20_000) {
  const { command, args } = roleCommand(role);
  const child = new Deno.Command(command, {
    args: [...args, "--home", world.home, ...extra],
    env: world.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** Holds a loopback port for the test's duration. */
async function withBusyPort(fn: (port: number, world: TestWorld) => Promise<void>): Promise<void> {
  const world = await createWorld();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await fn((listener.addr as Deno.NetAddr).port, world);
  } finally {
    listener.close();
    await world.close(); // fails if anything mentioning the test's home is still running
  }
}

function assertRefused(out: Awaited<ReturnType<typeof runToExit>>, port: number) {
  assertEquals(out.signal, null, `killed after a timeout:\n${out.stderr}`);
  assertTrue(out.code !== 0, "exited with code 0");
  assertStringIncludes(out.stderr, `Cannot listen on 127.0.0.1:${port}: the address is already in use`);
  assertEquals(out.stdout.includes('"event":"listening"'), false, "announced itself as listening");
}

Deno.test("a queen given a busy --port exits non-zero, says so, and starts no hive", async () => {
  await withBusyPort(async (port, world) => {
    const out = await runToExit(world, "queen", ["--port", String(port), "--hive-port", "0"]);
    assertRefused(out, port);
    assertEquals(out.code, 1);
    assertEquals(pidsMentioning(world.home), []);
  });
});

Deno.test("a queen whose hive gets a busy port exits non-zero and leaves no hive behind", async () => {
  await withBusyPort(async (port, world) => {
    const out = await runToExit(world, "queen", ["--port", "0", "--hive-port", String(port)]);
    assertEquals(out.signal, null, `killed after a timeout:\n${out.stderr}`);
    assertEquals(out.code, 1);
    assertStringIncludes(out.stderr, "Local hive exited with code 1 before listening");
    assertStringIncludes(out.stderr, `Cannot listen on 127.0.0.1:${port}: the address is already in use`);
    assertEquals(pidsMentioning(world.home), []);
  });
});

Deno.test("a hive given a busy --port exits non-zero and says so", async () => {
  await withBusyPort(async (port, world) => {
    const out = await runToExit(world, "hive", ["--port", String(port)]);
    assertRefused(out, port);
    assertEquals(out.code, 1);
  });
});
