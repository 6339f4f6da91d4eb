/**
 * Finding a queen: use the one at RBEE_QUEEN_URL if it answers, else start
 * one for this command (ephemeral mode) and stop the whole tree afterwards.
 */
import { type DaemonChild, startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";
import { generateToken } from "../shared/token.ts";

/** Default address of a persistent queen. */
export const DEFAULT_QUEEN_URL = "http://127.0.0.1:7833";

/** A queen to talk to, and whether this command started it. */
export interface QueenConnection {
  url: string;
  /** Token to send: the user's for a persistent queen, a fresh one for an ephemeral queen. */
  token: string | null;
  /** Set when this command started the queen; stop it when done. */
  ephemeral: DaemonChild | null;
  /** Stops what this command started (queen → hive → workers); no-op for a persistent queen. */
  close(): Promise<void>;
}

/** True when a queen answers `GET /health` at `url` within `timeoutMs`. */
export async function queenAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Connects to a running queen or starts an ephemeral one (queen + local hive
 * on free ports). The tree's logs go to `logFile`, not the user's terminal.
 */
export async function connectQueen(
  url: string,
  token: string | null,
  home: string,
  logFile: string,
  onStart: () => void,
): Promise<QueenConnection> {
  if (await queenAnswers(url)) return { url, token, ephemeral: null, close: async () => {} };
  const ephemeralToken = generateToken();
  onStart();
  await Deno.mkdir(logFile.slice(0, logFile.lastIndexOf("/")), { recursive: true });
  const log = await Deno.open(logFile, { create: true, append: true, mode: 0o600 });
  const encoder = new TextEncoder();
  const { command, args } = roleCommand("queen");
  const child = await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--hive-port", "0", "--home", home],
    env: { RBEE_TOKEN: ephemeralToken, RBEE_TOKEN_FILE: "" },
    name: "Queen",
    onStderrLine: (line) => log.writeSync(encoder.encode(line + "\n")),
    readyTimeoutMs: 60_000,
  });
  child.exited.finally(() => log.close());
  // The queen stops its hive, which stops its workers; allow for their grace periods.
  return {
    url: child.url,
    token: ephemeralToken,
    ephemeral: child,
    close: async () => void await child.stop(45_000),
  };
}
