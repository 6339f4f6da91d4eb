/**
 * rbee: the command-line client. Dispatches to one subcommand.
 */
import type { Command } from "./command.ts";
import { modelsCommand } from "./models_command.ts";
import { inferCommand } from "./infer_command.ts";
import { auditCommand } from "./audit_command.ts";
import { workersCommand } from "./workers_command.ts";
import { DEFAULT_QUEEN_URL } from "./queen_connection.ts";
import { exitWithError } from "../shared/flags.ts";

/** Every subcommand, by name. */
const COMMANDS: Record<string, Command> = {
  infer: inferCommand,
  audit: auditCommand,
  models: modelsCommand,
  workers: workersCommand,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `rbee — run LLMs on the machines you own

Usage: rbee <command> [options]   (rbee <command> --help for details)

Commands:
${lines.join("\n")}

Environment: RBEE_QUEEN_URL (default ${DEFAULT_QUEEN_URL}), RBEE_HOME (default ~/.rbee),
HF_ENDPOINT and HF_TOKEN (model downloads).`;
}

const [name, ...rest] = Deno.args;
if (!name || name === "--help" || name === "-h" || name === "help") {
  console.log(usage());
  Deno.exit(name ? 0 : 2);
}
const command = COMMANDS[name];
if (!command) exitWithError(new Error(`Unknown command '${name}'; see rbee --help`), 2);
if (rest.includes("--help")) {
  console.log(command.usage);
  Deno.exit(0);
}
Deno.exit(await command.run(rest, Deno.env.toObject()));
