/**
 * The hive's model routes: `POST /v1/models/pull` streams progress events,
 * then `done` (or `error`); `GET /v1/models` lists the catalog, `GET
 * /v1/models/show?model=REF[&dtype=D]` shows one model, `DELETE
 * /v1/models?model=REF[&dtype=D][&force=true]` removes one (every precision of it unless
 * `dtype` is given), stopping its workers first only when forced.
 */
import type { AuditLog } from "../shared/audit.ts";
import { Hono } from "hono";
import { PullModelRequest } from "../shared/contracts/worker.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import {
  DtypeQuery,
  type ModelDtype,
  type ModelInfo,
  type RemoveModelResult,
} from "../shared/contracts/models.ts";
import { validate } from "../shared/validation.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { type AppEnv, jsonBody } from "../shared/http.ts";
import { sseResponse } from "../shared/sse_response.ts";

/** Makes a model available on disk and manages the catalog; the hive's link to its model store. */
export interface ModelProvider {
  /** Makes the model available (in `dtype`, default fp32) for a worker, and records that it was used. */
  ensure(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
    dtype?: ModelDtype,
  ): Promise<{ ref: string; path: string }>;
  /** Makes the model available without using it. */
  pull?(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
    dtype?: ModelDtype,
  ): Promise<{ ref: string; path: string }>;
  list?(): Promise<ModelInfo[]>;
  /** One model: in `dtype`, else fp32 when installed, else the first precision there is. */
  show?(ref: string, dtype?: ModelDtype): Promise<ModelInfo>;
  /** Removes the model in `dtype`, or in every precision installed. */
  remove?(ref: string, force: boolean, dtype?: ModelDtype): Promise<RemoveModelResult>;
  /** Closes the catalog, on shutdown. */
  close?(): Promise<void>;
}

/** Routes under `/v1/models`. */
export function modelRoutes(models: ModelProvider, audit: AuditLog | null = null): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const record = (event: string, subject: string, outcome: "success" | "failure", code?: string) =>
    audit?.record({ event, actor: null, subject, outcome, details: code ? { code } : undefined });
  app.post("/pull", async (c) => {
    const req = await jsonBody(c, PullModelRequest);
    const pull = models.pull?.bind(models) ?? models.ensure.bind(models);
    return sseResponse(async (sink, signal) => {
      try {
        const model = await pull(req.model, (p) => sink.send("progress", p), signal, req.dtype);
        record("model_pull", model.ref, "success");
        sink.send("done", { model: model.ref, dtype: req.dtype });
      } catch (err) {
        const rbee = toRbeeError(err);
        record("model_pull", req.model, "failure", rbee.code);
        sink.send("error", rbee.toEnvelope().error);
      }
    });
  });
  app.get("/", async (c) => c.json({ models: await supported(models.list)() }));
  app.get("/show", async (c) => {
    const show = supported(models.show);
    return c.json(await show(modelParam(c.req.query("model")), dtypeParam(c.req.query("dtype"))));
  });
  app.delete("/", async (c) => {
    const force = c.req.query("force") === "true";
    const model = modelParam(c.req.query("model"));
    const result = await supported(models.remove)(model, force, dtypeParam(c.req.query("dtype")));
    record("model_delete", model, "success");
    return c.json(result);
  });
  return app;
}

function supported<F extends (...args: never[]) => unknown>(fn: F | undefined): F {
  if (!fn) throw new RbeeError("NOT_FOUND", "This hive does not keep a model catalog");
  return fn;
}

function dtypeParam(dtype: string | undefined): ModelDtype | undefined {
  return validate(DtypeQuery, { dtype }, "query").dtype;
}

function modelParam(model: string | undefined): string {
  if (!model || model.length > 512) {
    throw new RbeeError("VALIDATION_ERROR", "Query parameter 'model' is required (a model reference)");
  }
  return model;
}
