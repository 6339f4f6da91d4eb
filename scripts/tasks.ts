/**
 * The `deno task` entries that run each role, generated from
 * shared/permissions.ts so there is one source of truth for the flags.
 * `deno task tasks:sync` rewrites deno.json; a test fails when they drift.
 */
import { denoRunArgs, type Role } from "../shared/permissions.ts";

const ROLE_TASKS: Record<string, Role> = { queen: "queen", hive: "hive", worker: "worker", rbee: "keeper" };

/** The role tasks as they must appear in deno.json. */
export function roleTasks(): Record<string, string> {
  const tasks: Record<string, string> = {};
  for (const [name, role] of Object.entries(ROLE_TASKS)) {
    tasks[name] = ["deno", ...denoRunArgs(role)].join(" ");
  }
  return tasks;
}

if (import.meta.main) {
  const path = new URL("../deno.json", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(path));
  config.tasks = { ...config.tasks, ...roleTasks() };
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n");
  console.log("deno.json role tasks updated");
}
