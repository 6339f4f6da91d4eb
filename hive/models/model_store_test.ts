import { join } from "node:path";
import { assertEquals } from "../../shared/testing.ts";
import { removeStaleStaging } from "./model_store.ts";

Deno.test("removeStaleStaging clears installs of dead processes and keeps those of live ones", async () => {
  const home = await Deno.makeTempDir();
  // A process that has exited: its pid names an install nobody will finish.
  const exited = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await exited.status;
  const dead = exited.pid;
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    const tmp = join(home, "models", ".tmp");
    for (const name of [`${dead}-a`, `${sleeper.pid}-b`, `${Deno.pid}-c`, "no-pid"]) {
      await Deno.mkdir(join(tmp, name, "onnx"), { recursive: true });
    }
    assertEquals((await removeStaleStaging(home)).sort(), [`${dead}-a`, "no-pid"].sort());
    // Both sides sorted as strings: when pids wrap or gain a digit, the sleeper's may sort first.
    assertEquals(
      [...Deno.readDirSync(tmp)].map((e) => e.name).sort(),
      [`${Deno.pid}-c`, `${sleeper.pid}-b`].sort(),
    );
    assertEquals(await removeStaleStaging(join(home, "elsewhere")), []);
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
    await Deno.remove(home, { recursive: true });
  }
});
