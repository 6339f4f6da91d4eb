import { assertEquals } from "../shared/testing.ts";
import { roleTasks } from "./tasks.ts";

Deno.test("deno.json runs each role with exactly the flags shared/permissions.ts builds", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const [name, command] of Object.entries(roleTasks())) {
    assertEquals(config.tasks[name], command, `task '${name}' drifted: run 'deno task tasks:sync'`);
  }
});

Deno.test("no role task runs with all permissions", () => {
  for (const command of Object.values(roleTasks())) {
    assertEquals(/\s(-A|--allow-all)(\s|$)/.test(command), false, command);
  }
});
