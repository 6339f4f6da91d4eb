/**
 * The hive's model routes: `POST /v1/models/pull` streams progress events,
 * then `done` (or `error`); `GET /v1/models` lists the catalog, `GET
 * /v1/models/show?model=REF` shows one model, `DELETE /v1/models?model=REF[&force=true]`
 * removes one (stopping its workers first only when forced).
 */
import { Hono } from "hono";
import { PullModelRequest } from "../shared/contracts/worker.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import type { ModelInfo, RemoveModelResult } from "../shared/contracts/models.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { type AppEnv, jsonBody } from "../shared/http.ts";
import { sseResponse } from "../shared/sse_response.ts";

/** Makes a model available on disk and manages the catalog; the hive's link to its model store. */
export interface ModelProvider {
  /** Makes the model available for a worker (and records that it was used). */
  ensure(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
  ): Promise<{ ref: string; path: string }>;
  /** Makes the model available without using it. */
  pull?(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
  ): Promise<{ ref: string; path: string }>;
  list?(): Promise<ModelInfo[]>;
  show?(ref: string): Promise<ModelInfo>;
  remove?(ref: string, force: boolean): Promise<RemoveModelResult>;
}

/** Routes under `/v1/models`. */
export function modelRoutes(models: ModelProvider): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/pull", async (c) => {
    const req = await jsonBody(c, PullModelRequest);
    const pull = models.pull?.bind(models) ?? models.ensure.bind(models);
    return sseResponse(async (sink, signal) => {
      try {
        const model = await pull(req.model, (p) => sink.send("progress", p), signal);
        sink.send("done", { model: model.ref });
      } catch (err) {
        sink.send("error", toRbeeError(err).toEnvelope().error);
      }
    });
  });
  app.get("/", async (c) => c.json({ models: await supported(models.list)() }));
  app.get("/show", async (c) => c.json(await supported(models.show)(modelParam(c.req.query("model")))));
  app.delete("/", async (c) => {
    const force = c.req.query("force") === "true";
    return c.json(await supported(models.remove)(modelParam(c.req.query("model")), force));
  });
  return app;
}

function supported<F extends (...args: never[]) => unknown>(fn: F | undefined): F {
  if (!fn) throw new RbeeError("NOT_FOUND", "This hive does not keep a model catalog");
  return fn;
}

function modelParam(model: string | undefined): string {
  if (!model || model.length > 512) {
    throw new RbeeError("VALIDATION_ERROR", "Query parameter 'model' is required (a model reference)");
  }
  return model;
}
