/**
 * rbee: the command-line client. `rbee infer` talks to a queen, starting an
 * ephemeral one (with a local hive) when none runs.
 */
import { INFER_USAGE, parseInferArgs } from "./infer_args.ts";
import { runInfer, summaryLine } from "./infer.ts";
import { connectQueen, DEFAULT_QUEEN_URL, type QueenConnection } from "./queen_connection.ts";
import { rbeeHome } from "../shared/daemon_config.ts";
import { exitWithError } from "../shared/flags.ts";

const USAGE = `rbee — run LLMs on the machines you own

Usage: rbee <command> [options]

Commands:
  infer PROMPT     generate text (see rbee infer --help)

Environment: RBEE_QUEEN_URL (default ${DEFAULT_QUEEN_URL}), RBEE_HOME (default ~/.rbee),
HF_ENDPOINT and HF_TOKEN (model downloads).`;

const [command, ...rest] = Deno.args;
if (!command || command === "--help" || command === "-h" || command === "help") {
  console.log(USAGE);
  Deno.exit(command ? 0 : 2);
}
if (command !== "infer") exitWithError(new Error(`Unknown command '${command}'; see rbee --help`), 2);
if (rest.includes("--help")) {
  console.log(INFER_USAGE);
  Deno.exit(0);
}

let cmd;
try {
  cmd = parseInferArgs(rest);
} catch (err) {
  exitWithError(err, 2);
}
const env = Deno.env.toObject();
const abort = new AbortController();
let connection: QueenConnection | null = null;
let interrupted = false;
Deno.addSignalListener("SIGINT", async () => {
  if (interrupted) return;
  interrupted = true;
  abort.abort();
  await connection?.close();
  Deno.exit(130);
});

let code = 0;
const out = { wrote: false };
try {
  const home = rbeeHome(env);
  connection = await connectQueen(
    env.RBEE_QUEEN_URL ?? DEFAULT_QUEEN_URL,
    home,
    `${home}/logs/ephemeral.log`,
    () => {
      console.error(`No queen is running; starting one for this command (logs: ${home}/logs/ephemeral.log)`);
    },
  );
  const end = await runInfer(connection.url, cmd, abort.signal, out);
  if (out.wrote) console.log();
  console.error(summaryLine(end));
} catch (err) {
  if (interrupted) await new Promise(() => {}); // the SIGINT handler exits
  if (out.wrote) console.log();
  code = 1;
  await connection?.close();
  exitWithError(err, code);
}
await connection?.close();
Deno.exit(code);
