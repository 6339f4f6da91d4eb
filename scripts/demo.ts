/**
 * `deno task demo`: `rbee infer "Once upon a time"` on the default model.
 *
 * Where the Hugging Face hub is not reachable but a local copy of the model
 * repository sits in ../shared/hf-mirror (as on rbee's build machines), that
 * copy is served on 127.0.0.1 in the hub's protocol and HF_ENDPOINT points at
 * it; rbee itself cannot tell the difference. Set HF_ENDPOINT to skip this.
 */
import { hfMirrorDir, startFakeHub } from "../tests/support/fake_hub.ts";
import { roleCommand } from "../shared/permissions.ts";

const env: Record<string, string> = {};
let mirror: Awaited<ReturnType<typeof startFakeHub>> | null = null;
const mirrorDir = hfMirrorDir();
if (!Deno.env.get("HF_ENDPOINT") && mirrorDir) {
  mirror = await startFakeHub({ root: mirrorDir });
  env.HF_ENDPOINT = mirror.url;
  console.error(`Serving the model repository from ${mirrorDir} at ${mirror.url} (HF_ENDPOINT)`);
}
const { command, args } = roleCommand("keeper");
const child = new Deno.Command(command, {
  args: [...args, "infer", ...(Deno.args.length ? Deno.args : ["Once upon a time"])],
  env,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// Ctrl+C reaches the whole process group; wait for rbee to clean up and pass on its exit code.
Deno.addSignalListener("SIGINT", () => {});
const { code } = await child.status;
await mirror?.close();
Deno.exit(code);
