/**
 * The shape of one `rbee` subcommand.
 */

/** A subcommand: its one-line summary, its `--help` text, and what it does (returns the exit code). */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], env: Record<string, string | undefined>): Promise<number>;
}
