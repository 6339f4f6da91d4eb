/**
 * The hive → queen hop: a hive registers with its queen using the queen's
 * token and keeps sending heartbeats; a hive with the wrong token is refused.
 */
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";
import { type TestWorld, withQueen } from "./support/cluster.ts";

const TOKEN = "queen-secret-token-for-hives-01";

async function startRemoteHive(world: TestWorld, name: string, queenUrl: string, queenToken: string) {
  const { command, args } = roleCommand("hive");
  const log: string[] = [];
  const home = `${world.home}/${name}`;
  await Deno.mkdir(home);
  const hive = await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--home", home, "--name", name, "--queen-url", queenUrl],
    env: {
      ...world.env,
      RBEE_TOKEN: `${name}-own-token-0123456789`,
      RBEE_QUEEN_TOKEN: queenToken,
      RBEE_HEARTBEAT_MS: "200",
    },
    name: `Hive ${name}`,
    onStderrLine: (line) => log.push(line),
  });
  return { hive, log };
}

Deno.test("hives register with the queen's token and stay listed; a wrong token is refused", async () => {
  await withQueen(async (queen, world) => {
    const good = await startRemoteHive(world, "edge", queen.url, TOKEN);
    const bad = await startRemoteHive(world, "rogue", queen.url, "not-the-queen-token-000");
    try {
      const names = async () => {
        const res = await fetch(`${queen.url}/v2/hives`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return (await res.json()).hives.map((h: { name: string }) => h.name);
      };
      let listed: string[] = [];
      for (let i = 0; i < 50 && !listed.includes("edge"); i++) {
        listed = await names();
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(listed, ["local", "edge"]);
      // Heartbeats keep it listed well past a single registration.
      await new Promise((r) => setTimeout(r, 600));
      assertEquals(await names(), ["local", "edge"]);
      assertTrue(bad.log.some((l) => l.includes("The queen refused this hive's token")), bad.log.join("\n"));
      assertTrue(good.log.some((l) => l.includes("Registered with the queen")));
    } finally {
      await good.hive.stop();
      await bad.hive.stop();
    }
  }, async (world) => {
    const path = `${world.home}/queen.token`;
    await Deno.writeTextFile(path, TOKEN, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    return ["--token-file", path];
  });
});
