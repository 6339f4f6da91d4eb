/**
 * The hive's record of its worker processes on disk (`RBEE_HOME/hive-workers.json`),
 * so that a hive restarted after a crash finds the workers its previous run
 * left: it re-adopts those that are alive and answer with the right identity,
 * and kills the rest. The judgement is pure; reading /proc and HTTP are the shell.
 */
import { z } from "zod";
import { Backend } from "../shared/contracts/worker.ts";
import { ModelDtype } from "../shared/contracts/models.ts";
import type { Logger } from "../shared/log.ts";
import { adoptedHandle, inspectPid, stopProcessSteps } from "./worker_process.ts";

/** One worker as written to the state file. */
export const PersistedWorker = z.object({
  id: z.string(),
  pid: z.number().int().positive(),
  url: z.string().nullable(),
  /** The worker's token, so that a restarted hive can still talk to it (the file is mode 0600). */
  token: z.string(),
  model: z.string(),
  backend: Backend,
  device: z.number().int(),
  dtype: ModelDtype.optional(),
  /** The worker's `--slots`, fixed at launch; absent in files written before it was recorded. */
  slots: z.number().int().min(1).optional(),
  started_at: z.string(),
});
/** One worker as written to the state file. */
export type PersistedWorker = z.infer<typeof PersistedWorker>;

const StateFile = z.object({ workers: z.array(PersistedWorker) });

/** Writes the state file atomically (temporary file, then rename). */
export function writeStateFile(path: string, workers: PersistedWorker[]): void {
  const tmp = `${path}.tmp`;
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
  Deno.writeTextFileSync(tmp, JSON.stringify({ workers }, null, 2) + "\n", { mode: 0o600 });
  Deno.renameSync(tmp, path);
}

/** The workers in the state file; none when it is missing or unreadable. */
export function readStateFile(path: string): PersistedWorker[] {
  try {
    return StateFile.parse(JSON.parse(Deno.readTextFileSync(path))).workers;
  } catch {
    return [];
  }
}

/** What was observed about a leftover worker. */
export interface LeftoverFacts {
  alive: boolean;
  /** The PID's command line names this worker id (the PID was not reused by another program). */
  ownsPid: boolean;
  /** Its `/health` answer, or null when it did not answer. */
  health: { status?: string; state?: string; model?: string } | null;
}

/** What to do with a worker left by a previous hive run. */
export type LeftoverAction = "forget" | "adopt" | "kill";

/** Adopt a worker that is alive, ours, idle and serving the model it should; kill any other of ours. */
export function judgeLeftover(entry: PersistedWorker, facts: LeftoverFacts): LeftoverAction {
  if (!facts.alive || !facts.ownsPid) return "forget";
  const h = facts.health;
  const healthy = h?.status === "ok" && (h.state === "idle" || h.state === "busy") && h.model === entry.model;
  return healthy && entry.url ? "adopt" : "kill";
}

async function observe(entry: PersistedWorker): Promise<LeftoverFacts> {
  const seen = await inspectPid(entry.pid);
  const ownsPid = seen !== null && ` ${seen.cmdline} `.includes(` ${entry.id} `);
  let health = null;
  if (ownsPid && entry.url) {
    try {
      const res = await fetch(`${entry.url}/health`, { signal: AbortSignal.timeout(1500) });
      health = res.ok ? await res.json() : (await res.body?.cancel(), null);
    } catch {
      health = null;
    }
  }
  return { alive: seen !== null, ownsPid, health };
}

/** Reads the state file, kills leftovers that cannot be adopted, and returns those that can. */
export async function recoverLeftovers(path: string, log: Logger): Promise<PersistedWorker[]> {
  const adopt: PersistedWorker[] = [];
  await Promise.all(
    readStateFile(path).map(async (entry) => {
      const facts = await observe(entry);
      const action = judgeLeftover(entry, facts);
      const fields = { worker_id: entry.id, pid: entry.pid, model: entry.model };
      log.debug("Leftover worker", { ...fields, action, alive: facts.alive, owns_pid: facts.ownsPid });
      if (action === "adopt") {
        log.info("Re-adopting a worker left by a previous hive run", fields);
        adopt.push(entry);
      } else if (action === "kill") {
        log.warn("Killing a worker left by a previous hive run", fields);
        const { forced } = await stopProcessSteps(
          adoptedHandle(entry.pid, 50),
          null,
          { graceMs: 0, killAfterMs: 2000 },
          log,
        );
        if (forced) log.warn("Leftover worker was force-killed", fields);
      }
    }),
  );
  return adopt;
}

/** Writes the workers that have a process to the state file; a write error is logged, not thrown. */
export function persistWorkers(
  path: string,
  workers: Iterable<
    {
      id: string;
      pid: number | null;
      url: string | null;
      token: string;
      slots: number;
      spec: Omit<PersistedWorker, "id" | "pid" | "url" | "token" | "started_at" | "slots">;
      started_at: string;
    }
  >,
  log: Logger,
): void {
  try {
    const live = [...workers].filter((w) => w.pid !== null);
    writeStateFile(
      path,
      live.map((w) => ({
        id: w.id,
        pid: w.pid!,
        url: w.url,
        token: w.token,
        slots: w.slots,
        model: w.spec.model,
        backend: w.spec.backend,
        device: w.spec.device,
        ...(w.spec.dtype && { dtype: w.spec.dtype }),
        started_at: w.started_at,
      })),
    );
  } catch (err) {
    log.error("Cannot write the worker state file", { error: String(err) });
  }
}
