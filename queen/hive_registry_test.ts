import { assertEquals } from "../shared/testing.ts";
import { HiveClient } from "./hive_client.ts";
import { HiveRegistry } from "./hive_registry.ts";

Deno.test("registered hives stay while they send heartbeats and are dropped when silent", () => {
  let now = 0;
  const registry = new HiveRegistry(null, 30_000, () => now);
  registry.pin(new HiveClient("local", "http://127.0.0.1:1"));
  assertEquals(registry.heartbeat("gpu-box", "http://10.0.0.2:7835"), true);
  assertEquals(registry.heartbeat("gpu-box", "http://10.0.0.2:7835"), false);
  now = 20_000;
  registry.heartbeat("gpu-box", "http://10.0.0.2:7835");
  now = 45_000;
  assertEquals(registry.list().map((h) => h.name), ["local", "gpu-box"]);
  now = 60_000;
  const dropped: string[] = [];
  assertEquals(registry.list((name) => dropped.push(name)).map((h) => h.name), ["local"]);
  assertEquals(dropped, ["gpu-box"]);
});

Deno.test("a registration cannot take over the queen's own hive", () => {
  const registry = new HiveRegistry(null);
  registry.pin(new HiveClient("local", "http://127.0.0.1:1"));
  assertEquals(registry.heartbeat("local", "http://evil:1"), false);
  assertEquals(registry.list()[0].url, "http://127.0.0.1:1");
});
