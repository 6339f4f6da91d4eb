/**
 * `deno task demo`: `rbee infer "Once upon a time"` on the default model
 * (extra arguments replace the prompt and options).
 */
import { roleCommand } from "../shared/permissions.ts";
import { hubForScripts } from "./hub_mirror.ts";

const hub = await hubForScripts();
const { command, args } = roleCommand("keeper");
const child = new Deno.Command(command, {
  args: [...args, "infer", ...(Deno.args.length ? Deno.args : ["Once upon a time"])],
  env: hub.env,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// Ctrl+C reaches the whole process group; wait for rbee to clean up and pass on its exit code.
Deno.addSignalListener("SIGINT", () => {});
const { code } = await child.status;
await hub.close();
Deno.exit(code);
