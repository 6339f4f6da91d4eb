/**
 * The queen's model routes, over every hive (or one, by name):
 *
 *   POST   /v2/models/pull          {model, hive?, dtype?}: SSE `progress` (tagged with the hive), then `done` or `error`
 *   GET    /v2/models               the models of every hive (one entry per precision), with the hives holding it
 *   GET    /v2/models/show?model=R[&dtype=D]  one model (fp32 first when no dtype is given)
 *   DELETE /v2/models?model=R[&dtype=D][&force=true][&hive=NAME]  every precision unless dtype is given
 */
import { Hono } from "hono";
import { DtypeQuery, ModelDtype, type ModelInfo, QueenPullRequest } from "../shared/contracts/models.ts";
import { validate } from "../shared/validation.ts";
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
    const dtype = req.dtype ?? "fp32";
    const targets = pick(hives(), req.hive);
    const ref = formatModelRef(parseModelRef(req.model));
    return sseResponse(async (sink, signal) => {
      try {
        await Promise.all(
          targets.map((h) =>
            h.pullModel(ref, (p) => sink.send("progress", { ...p, hive: h.name }), signal, dtype)
          ),
        );
        sink.send("done", { model: ref, dtype, hives: targets.map((h) => h.name) });
      } catch (err) {
        sink.send("error", toRbeeError(err).toEnvelope().error);
      }
    });
  });
  app.get("/", async (c) => c.json({ models: await listAll(hives(), c.req.raw.signal) }));
  app.get("/show", async (c) => {
    const ref = refParam(c.req.query("model"));
    const dtype = dtypeParam(c.req.query("dtype"));
    // The list is sorted fp32 first, so without a dtype the fp32 copy is the one shown.
    const found = (await listAll(hives(), c.req.raw.signal))
      .find((m) => m.ref === ref && (dtype === undefined || m.dtype === dtype));
    if (!found) throw notInstalled(ref, dtype);
    return c.json(found);
  });
  app.delete("/", async (c) => {
    const ref = refParam(c.req.query("model"));
    const dtype = dtypeParam(c.req.query("dtype"));
    const force = c.req.query("force") === "true";
    const stopped: string[] = [];
    const removedOn: string[] = [];
    const dtypes = new Set<string>();
    for (const hive of pick(hives(), c.req.query("hive"))) {
      const result = await hive.removeModel(ref, force, c.req.raw.signal, dtype).catch((err) => {
        if (err instanceof RbeeError && err.code === "MODEL_NOT_FOUND") return null;
        throw err;
      });
      if (!result) continue;
      stopped.push(...result.stopped_workers);
      removedOn.push(hive.name);
      for (const d of result.dtypes ?? []) dtypes.add(d);
    }
    if (!removedOn.length) throw notInstalled(ref, dtype);
    return c.json({ ref, dtypes: [...dtypes], stopped_workers: stopped, hives: removedOn });
  });
  return app;
}

/**
 * Merges the hives' lists: one entry per reference and precision (fp32 first), naming
 * every hive that holds it. Pure.
 */
export function mergeModelLists(lists: { hive: string; models: ModelInfo[] }[]): ModelInfo[] {
  const byRef = new Map<string, ModelInfo>();
  for (const { hive, models } of lists) {
    for (const m of models) {
      const key = `${m.ref}\n${m.dtype}`;
      const seen = byRef.get(key);
      if (!seen) byRef.set(key, { ...m, hives: [hive] });
      else {
        seen.hives!.push(hive);
        if ((m.last_used ?? "") > (seen.last_used ?? "")) seen.last_used = m.last_used;
      }
    }
  }
  const order = (m: ModelInfo) => ModelDtype.options.indexOf(m.dtype as ModelDtype);
  return [...byRef.values()].sort((a, b) => a.ref.localeCompare(b.ref) || order(a) - order(b));
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

function notInstalled(ref: string, dtype?: ModelDtype): RbeeError {
  const what = dtype ? `Model '${ref}' (${dtype})` : `Model '${ref}'`;
  return new RbeeError("MODEL_NOT_FOUND", `${what} is not installed on any hive`, {
    ref,
    ...(dtype && { dtype }),
  });
}

function dtypeParam(dtype: string | undefined): ModelDtype | undefined {
  return validate(DtypeQuery, { dtype }, "query").dtype;
}

function refParam(model: string | undefined): string {
  if (!model || model.length > 512) {
    throw new RbeeError("VALIDATION_ERROR", "Query parameter 'model' is required (a model reference)");
  }
  return formatModelRef(parseModelRef(model));
}
