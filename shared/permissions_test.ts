import { assertEquals, assertTrue } from "./testing.ts";
import { denoCompileArgs, repoRoot, type Role, roleFlags } from "./permissions.ts";

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

// A module a role names by URL at run time (a Web Worker's code) is not embedded unless included.
Deno.test("every module a role loads by URL, such as a Web Worker's, is included in its compiled binary", async () => {
  const roots: Record<Role, string> = { keeper: "keeper", queen: "queen", hive: "hive", worker: "worker" };
  let found = 0;
  for (const [role, dir] of Object.entries(roots) as [Role, string][]) {
    for (const file of sourceFiles(`${repoRoot()}/${dir}`)) {
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(/new URL\(\s*"([^"]+\.ts)",\s*import\.meta\.url/g)) {
        const module = new URL(m[1], `file://${file}`).pathname.slice(repoRoot().length + 1);
        const args = denoCompileArgs(role);
        assertTrue(
          args.some((a, i) => a === "--include" && args[i + 1] === module),
          `${role} lacks ${module}`,
        );
        found++;
      }
    }
  }
  assertTrue(found > 0, "the hive's sha256 thread, at least");
});

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}
