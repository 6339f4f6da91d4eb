import { assertEquals, assertTrue } from "./testing.ts";
import { denoCompileArgs, roleFlags } from "./permissions.ts";

Deno.test("a worker reaches only loopback and reads only the folders it is given", () => {
  const flags = roleFlags("worker", { read: ["/models/a"] });
  assertTrue(flags.includes("--allow-net=127.0.0.1"));
  assertTrue(flags.includes("--allow-read=/models/a"));
  assertEquals(flags.some((f) => /^--allow-(write|run)/.test(f)), false);
});

Deno.test("no role gets all permissions, and compiled binaries get the same flags as deno run", () => {
  for (const role of ["keeper", "queen", "hive", "worker"] as const) {
    const flags = roleFlags(role);
    assertEquals(flags.some((f) => f === "-A" || f === "--allow-all"), false);
    const compile = denoCompileArgs(role);
    for (const flag of flags) assertTrue(compile.includes(flag), `${role} compile lacks ${flag}`);
  }
});
