/**
 * The queen's worker routes, over every hive (or one, by name):
 *
 *   GET    /v2/workers                    every hive's workers, each tagged with its hive,
 *                                         and the hives that did not answer
 *   DELETE /v2/workers/:id[?hive=NAME]    stops a worker on the hive that runs it
 *   POST   /v2/workers/reset-breaker      {model, backend?, device?, hive?}: lets a placement
 *                                         whose breaker opened start again
 */
import { Hono } from "hono";
import {
  type ClusterWorkerList,
  QueenResetBreakerRequest,
  type StopWorkerResult,
} from "../shared/contracts/supervision.ts";
import { WorkerId } from "../shared/contracts/worker.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { type AppEnv, jsonBody } from "../shared/http.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import { validate } from "../shared/validation.ts";
import type { HiveClient } from "./hive_client.ts";

/** Routes under `/v2/workers`. */
export function workerRoutes(hives: () => HiveClient[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => c.json(await listAll(hives(), c.req.raw.signal)));

  app.post("/reset-breaker", async (c) => {
    const { hive, ...req } = await jsonBody(c, QueenResetBreakerRequest);
    const placement = { ...req, model: formatModelRef(parseModelRef(req.model)) };
    const targets = pick(hives(), hive);
    await Promise.all(targets.map((h) => h.resetBreaker(placement, c.req.raw.signal)));
    return c.json({ reset: true, ...placement, hives: targets.map((h) => h.name) });
  });

  app.delete("/:id", async (c) => {
    const id = validate(WorkerId, c.req.param("id"), "worker id");
    const hive = await hiveOf(pick(hives(), c.req.query("hive")), id, c.req.raw.signal);
    const result = await hive.stopWorker(id, c.req.raw.signal);
    return c.json({ ...result, hive: hive.name } satisfies StopWorkerResult);
  });
  return app;
}

/** Every hive's workers; a hive that does not answer is listed as unreachable, not an error. */
async function listAll(hives: HiveClient[], signal: AbortSignal): Promise<ClusterWorkerList> {
  const answers = await Promise.allSettled(hives.map((hive) => hive.listWorkers(signal)));
  signal.throwIfAborted();
  const out: ClusterWorkerList = { workers: [], unreachable: [] };
  answers.forEach((answer, i) => {
    const hive = hives[i].name;
    if (answer.status === "fulfilled") out.workers.push(...answer.value.map((w) => ({ ...w, hive })));
    else {
      const { code, message } = toRbeeError(answer.reason);
      out.unreachable.push({ hive, error: { code, message } });
    }
  });
  return out;
}

/** The hive running worker `id`, or WORKER_NOT_FOUND. */
async function hiveOf(hives: HiveClient[], id: string, signal: AbortSignal): Promise<HiveClient> {
  const { workers } = await listAll(hives, signal);
  const found = workers.find((w) => w.id === id);
  const hive = found && hives.find((h) => h.name === found.hive);
  if (!hive) throw new RbeeError("WORKER_NOT_FOUND", `No worker '${id}' on any hive`, { worker_id: id });
  return hive;
}

function pick(hives: HiveClient[], name: string | undefined): HiveClient[] {
  if (name === undefined) return hives;
  const hive = hives.find((h) => h.name === name);
  if (!hive) throw new RbeeError("NOT_FOUND", `No hive named '${name}'`, { hive: name });
  return [hive];
}
