/**
 * `rbee workers list|stop|reset-breaker`: the cluster's workers, through a
 * running queen. Unlike `infer` and `models` it never starts a queen: one
 * started for this command alone would have no workers to show or stop.
 */
import { queenRequest, type QueenSession } from "./queen_request.ts";
import type { Command } from "./command.ts";
import { clientToken } from "./client_token.ts";
import { DEFAULT_QUEEN_URL, queenAnswers } from "./queen_connection.ts";
import { workerTable } from "./workers_table.ts";
import { authHeaders } from "../shared/auth.ts";
import { ClusterWorkerList, StopWorkerResult } from "../shared/contracts/supervision.ts";
import { exitWithError, parseFlags } from "../shared/flags.ts";

/** Usage of `rbee workers`. */
export const WORKERS_USAGE = `rbee workers — list and stop workers, reset a circuit breaker

Usage:
  rbee workers list                    table: id, hive, model, backend:device, state, pid, port,
                                       slots busy/total, restarts, breaker, last heartbeat, started
  rbee workers stop ID [--hive NAME]   stop a worker (asked first, then SIGTERM, then SIGKILL)
  rbee workers reset-breaker MODEL [--backend B] [--device N] [--dtype D] [--hive NAME]
                                       let a model whose workers kept failing be started again

  --json              print the queen's JSON answer instead of text
  --token-file FILE   token for the queen (else RBEE_TOKEN_FILE or RBEE_TOKEN)

Needs a running queen at RBEE_QUEEN_URL (default ${DEFAULT_QUEEN_URL}).`;

const OPTIONS = {
  hive: { type: "string" },
  backend: { type: "string" },
  device: { type: "string" },
  dtype: { type: "string" },
  json: { type: "boolean" },
  "token-file": { type: "string" },
} as const;

/** The `workers` command. */
export const workersCommand: Command = {
  summary: "list and stop workers, reset a circuit breaker",
  usage: WORKERS_USAGE,
  async run(args, env) {
    let parsed;
    try {
      parsed = parseFlags(args, OPTIONS, true);
    } catch (err) {
      exitWithError(err, 2);
    }
    const [sub, target, ...extra] = parsed.positionals;
    const v = parsed.values;
    const arity = sub === "list"
      ? target === undefined
      : (sub === "stop" || sub === "reset-breaker") && target;
    if (!arity || extra.length) {
      console.error(WORKERS_USAGE);
      return 2;
    }
    const url = env.RBEE_QUEEN_URL ?? DEFAULT_QUEEN_URL;
    try {
      const session = { url, headers: authHeaders(clientToken(v["token-file"], env)) };
      if (!(await queenAnswers(url))) {
        throw new Error(`No queen is running at ${url}; start one (deno task queen) or set RBEE_QUEEN_URL`);
      }
      if (sub === "list") await list(session, v.json ?? false);
      else if (sub === "stop") await stop(session, target!, v.hive, v.json ?? false);
      else await resetBreaker(session, target!, v, v.json ?? false);
      return 0;
    } catch (err) {
      exitWithError(err, 1);
    }
  },
};

async function request(s: QueenSession, method: string, path: string, body?: unknown): Promise<unknown> {
  return await (await queenRequest(s, method, path, body)).json();
}

async function list(s: QueenSession, json: boolean): Promise<void> {
  const body = ClusterWorkerList.parse(await request(s, "GET", "/v2/workers"));
  for (const { hive, error } of body.unreachable) {
    console.error(`warning: hive '${hive}' did not answer (${error.code}: ${error.message})`);
  }
  if (json) return console.log(JSON.stringify(body, null, 2));
  console.log(body.workers.length ? workerTable(body.workers, Date.now()) : "No workers");
}

async function stop(s: QueenSession, id: string, hive: string | undefined, json: boolean): Promise<void> {
  const query = hive ? `?hive=${encodeURIComponent(hive)}` : "";
  const path = `/v2/workers/${encodeURIComponent(id)}${query}`;
  const r = StopWorkerResult.parse(await request(s, "DELETE", path));
  if (json) return console.log(JSON.stringify(r, null, 2));
  console.log(`Stopped ${r.stopped} on ${r.hive ?? "its hive"}${r.forced ? " (it had to be killed)" : ""}`);
}

async function resetBreaker(
  s: QueenSession,
  model: string,
  v: { hive?: string; backend?: string; device?: string; dtype?: string },
  json: boolean,
): Promise<void> {
  const device = v.device === undefined ? undefined : Number(v.device);
  const body = { model, backend: v.backend, device, dtype: v.dtype, hive: v.hive };
  const r = await request(s, "POST", "/v2/workers/reset-breaker", body) as Record<string, unknown>;
  if (json) return console.log(JSON.stringify(r, null, 2));
  const hives = (r.hives as string[]).join(", ");
  console.log(`Reset the breaker of ${r.model} on ${r.backend}:${r.device} (hives: ${hives})`);
}
