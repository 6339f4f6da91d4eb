/**
 * The queen's model routes, over every hive (or one, by name):
 *
 *   POST   /v2/models/pull          {model, hive?}: SSE `progress` (tagged with the hive), then `done` or `error`
 *   GET    /v2/models               the models of every hive, each with the hives holding it
 *   GET    /v2/models/show?model=R  one model
 *   DELETE /v2/models?model=R[&force=true][&hive=NAME]
 */
import { Hono } from "hono";
import { type ModelInfo, QueenPullRequest } from "../shared/contracts/models.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { type AppEnv, jsonBody } from "../shared/http.ts";
import { formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import { sseResponse } from "../shared/sse_response.ts";
import type { HiveClient } from "./hive_client.ts";

/** Routes under `/v2/models`. */
export function modelRoutes(hives: () => HiveClient[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/pull", async (c) => {
    const req = await jsonBody(c, QueenPullRequest);
    if (req.dtype && req.dtype !== "fp32") {
      // Hives pull the fp32 export only for now; better a clear refusal than a silent fp32.
      throw new RbeeError("VALIDATION_ERROR", `dtype '${req.dtype}' is not supported yet (only 'fp32')`);
    }
    const targets = pick(hives(), req.hive);
    const ref = formatModelRef(parseModelRef(req.model));
    return sseResponse(async (sink, signal) => {
      try {
        await Promise.all(
          targets.map((h) => h.pullModel(ref, (p) => sink.send("progress", { ...p, hive: h.name }), signal)),
        );
        sink.send("done", { model: ref, hives: targets.map((h) => h.name) });
      } catch (err) {
        sink.send("error", toRbeeError(err).toEnvelope().error);
      }
    });
  });
  app.get("/", async (c) => c.json({ models: await listAll(hives(), c.req.raw.signal) }));
  app.get("/show", async (c) => {
    const ref = refParam(c.req.query("model"));
    const found = (await listAll(hives(), c.req.raw.signal)).find((m) => m.ref === ref);
    if (!found) {
      throw new RbeeError("MODEL_NOT_FOUND", `Model '${ref}' is not installed on any hive`, { ref });
    }
    return c.json(found);
  });
  app.delete("/", async (c) => {
    const ref = refParam(c.req.query("model"));
    const force = c.req.query("force") === "true";
    const stopped: string[] = [];
    const removedOn: string[] = [];
    for (const hive of pick(hives(), c.req.query("hive"))) {
      const result = await hive.removeModel(ref, force, c.req.raw.signal).catch((err) => {
        if (err instanceof RbeeError && err.code === "MODEL_NOT_FOUND") return null;
        throw err;
      });
      if (!result) continue;
      stopped.push(...result.stopped_workers);
      removedOn.push(hive.name);
    }
    if (!removedOn.length) {
      throw new RbeeError("MODEL_NOT_FOUND", `Model '${ref}' is not installed on any hive`, { ref });
    }
    return c.json({ ref, stopped_workers: stopped, hives: removedOn });
  });
  return app;
}

/** Merges the hives' lists: one entry per reference, naming every hive that holds it. Pure. */
export function mergeModelLists(lists: { hive: string; models: ModelInfo[] }[]): ModelInfo[] {
  const byRef = new Map<string, ModelInfo>();
  for (const { hive, models } of lists) {
    for (const m of models) {
      const seen = byRef.get(m.ref);
      if (!seen) byRef.set(m.ref, { ...m, hives: [hive] });
      else {
        seen.hives!.push(hive);
        if ((m.last_used ?? "") > (seen.last_used ?? "")) seen.last_used = m.last_used;
      }
    }
  }
  return [...byRef.values()].sort((a, b) => a.ref.localeCompare(b.ref));
}

async function listAll(hives: HiveClient[], signal: AbortSignal): Promise<ModelInfo[]> {
  const lists = await Promise.all(hives.map(async (hive) => ({
    hive: hive.name,
    models: await hive.listModels(signal),
  })));
  return mergeModelLists(lists);
}

function pick(hives: HiveClient[], name: string | undefined): HiveClient[] {
  if (name === undefined) return hives;
  const hive = hives.find((h) => h.name === name);
  if (!hive) throw new RbeeError("NOT_FOUND", `No hive named '${name}'`, { hive: name });
  return [hive];
}

function refParam(model: string | undefined): string {
  if (!model || model.length > 512) {
    throw new RbeeError("VALIDATION_ERROR", "Query parameter 'model' is required (a model reference)");
  }
  return formatModelRef(parseModelRef(model));
}
