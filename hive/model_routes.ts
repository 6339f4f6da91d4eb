/**
 * The hive's model routes: `POST /v1/models/pull` streams progress events,
 * then `done` (or `error`).
 */
import { Hono } from "hono";
import { PullModelRequest } from "../shared/contracts/worker.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { toRbeeError } from "../shared/errors.ts";
import { type AppEnv, jsonBody } from "../shared/http.ts";
import { sseResponse } from "../shared/sse_response.ts";

/** Makes a model available on disk; the hive's link to its model store. */
export interface ModelProvider {
  ensure(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
  ): Promise<{ ref: string; path: string }>;
}

/** Routes under `/v1/models`. */
export function modelRoutes(models: ModelProvider): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/pull", async (c) => {
    const req = await jsonBody(c, PullModelRequest);
    return sseResponse(async (sink, signal) => {
      try {
        const model = await models.ensure(req.model, (p) => sink.send("progress", p), signal);
        sink.send("done", { model: model.ref });
      } catch (err) {
        sink.send("error", toRbeeError(err).toEnvelope().error);
      }
    });
  });
  return app;
}
