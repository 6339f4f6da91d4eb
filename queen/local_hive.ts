/**
 * The hive the queen starts on its own machine (when no `--hive-url` is
 * given): a child process that lives and dies with the queen.
 */
import { type DaemonChild, startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";

/**
 * Starts `rbee-hive` on 127.0.0.1 with the queen's state folder and a token
 * only the queen knows; resolves once it listens.
 */
export async function startLocalHive(
  home: string,
  port: number,
  token: string,
  queen: { queenUrl: string; queenToken: string | null },
): Promise<DaemonChild> {
  const { command, args } = roleCommand("hive");
  return await startDaemonChild({
    command,
    args: [
      ...[...args, "--host", "127.0.0.1", "--port", String(port), "--home", home, "--name", "local"],
      ...["--queen-url", queen.queenUrl],
    ],
    // The hive must not inherit the queen's own token settings: it gets its own, and the queen's to call back.
    env: { RBEE_TOKEN: token, RBEE_TOKEN_FILE: "", RBEE_QUEEN_TOKEN: queen.queenToken ?? "" },
    name: "Local hive",
    forwardStderr: true,
    readyTimeoutMs: 60_000,
  });
}
