/**
 * The hive → queen control path: register with the queen, then repeat it as a
 * heartbeat carrying a summary of the inventory. The hive authenticates with
 * the queen's token (RBEE_QUEEN_TOKEN), like any other client of the queen.
 */
import { authHeaders } from "../shared/auth.ts";
import type { HiveHeartbeat } from "../shared/contracts/hive.ts";
import type { Logger } from "../shared/log.ts";

/** Options for {@link startHeartbeats}. */
export interface QueenLinkOptions {
  queenUrl: string;
  token: string | null;
  /** What to announce each time (name, URL, inventory summary). */
  heartbeat: () => HiveHeartbeat;
  intervalMs: number;
  log: Logger;
}

/** Sends one heartbeat; resolves with the HTTP status, or 0 when the queen did not answer. */
export async function sendHeartbeat(opts: QueenLinkOptions): Promise<number> {
  try {
    const res = await fetch(`${opts.queenUrl}/v2/hives/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders(opts.token) },
      body: JSON.stringify(opts.heartbeat()),
      signal: AbortSignal.timeout(Math.min(opts.intervalMs, 5000)),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** Registers now and every `intervalMs`; logs only when the link's state changes. Returns a stop function. */
export function startHeartbeats(opts: QueenLinkOptions): () => void {
  let last = -1;
  const beat = async () => {
    const status = await sendHeartbeat(opts);
    if (status === last) return;
    last = status;
    if (status === 200) opts.log.info("Registered with the queen", { queen: opts.queenUrl });
    else if (status === 401) {
      opts.log.error("The queen refused this hive's token (RBEE_QUEEN_TOKEN)", { queen: opts.queenUrl });
    } else opts.log.warn("Cannot reach the queen; will keep trying", { queen: opts.queenUrl, status });
  };
  void beat();
  const timer = setInterval(beat, opts.intervalMs);
  return () => clearInterval(timer);
}
