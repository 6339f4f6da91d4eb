/**
 * `rbee infer`: connects to (or starts) a queen, streams the answer, prints
 * the summary; Ctrl+C cancels and exits with 130.
 */
import { INFER_USAGE, parseInferArgs } from "./infer_args.ts";
import { runInfer, summaryLine } from "./infer.ts";
import { connectQueen, DEFAULT_QUEEN_URL, type QueenConnection } from "./queen_connection.ts";
import type { Command } from "./command.ts";
import { rbeeHome } from "../shared/daemon_config.ts";
import { exitWithError } from "../shared/flags.ts";
import { clientToken } from "./client_token.ts";

/** The `infer` command. */
export const inferCommand: Command = {
  summary: "generate text from a prompt, streamed as it is made",
  usage: INFER_USAGE,
  async run(args, env) {
    let cmd;
    try {
      cmd = parseInferArgs(args);
    } catch (err) {
      exitWithError(err, 2);
    }
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
    const out = { wrote: false };
    try {
      const home = rbeeHome(env);
      const logFile = `${home}/logs/ephemeral.log`;
      const token = clientToken(cmd.tokenFile, env);
      connection = await connectQueen(env.RBEE_QUEEN_URL ?? DEFAULT_QUEEN_URL, token, home, logFile, () => {
        console.error(`No queen is running; starting one for this command (logs: ${logFile})`);
      });
      const end = await runInfer(connection.url, connection.token, cmd, abort.signal, out);
      if (out.wrote) console.log();
      console.error(summaryLine(end));
      await connection.close();
      return 0;
    } catch (err) {
      if (interrupted) await new Promise(() => {}); // the SIGINT handler exits
      if (out.wrote) console.log();
      await connection?.close();
      exitWithError(err, 1);
    }
  },
};
