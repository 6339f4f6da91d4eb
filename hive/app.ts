/**
 * The hive's HTTP routes: health, workers (list, spawn, stop, ready
 * callback), inference proxied to a worker, and model pulls with progress.
 */
import { Hono } from "hono";
import { z } from "zod";
import { PullModelRequest, SpawnWorkerRequest, WorkerId, WorkerReady } from "../shared/contracts/worker.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { fromEnvelope, RbeeError, toRbeeError } from "../shared/errors.ts";
import {
  type AppEnv,
  CORRELATION_HEADER,
  correlationId,
  installCommonHandlers,
  jsonBody,
} from "../shared/http.ts";
import type { Logger } from "../shared/log.ts";
import { relayStream } from "../shared/relay.ts";
import { followRequest } from "../shared/abort.ts";
import { sseResponse } from "../shared/sse_response.ts";
import { validate } from "../shared/validation.ts";
import { readJsonBody } from "../shared/validation.ts";
import type { Supervisor } from "./supervisor.ts";

/** Makes a model available on disk; the hive's link to its model store. */
export interface ModelProvider {
  ensure(
    ref: string,
    onProgress?: (p: PullProgressEvent) => void,
    signal?: AbortSignal,
  ): Promise<{ ref: string; path: string }>;
}

/** What the hive's routes need. */
export interface HiveDeps {
  name: string;
  supervisor: Supervisor;
  models: ModelProvider;
  log: Logger;
}

const MAX_INFERENCE_BODY = 1024 * 1024;

function workerIdParam(id: string): string {
  return validate(WorkerId, id, "worker id");
}

/** Builds the hive's app. */
export function createHiveApp(deps: HiveDeps): Hono<AppEnv> {
  const { supervisor, models, log } = deps;
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, log);

  app.get("/health", (c) => c.json({ status: "ok", name: deps.name }));

  app.get("/v1/workers", (c) => c.json({ workers: supervisor.list() }));

  app.post("/v1/workers", async (c) => {
    const req = await jsonBody(c, SpawnWorkerRequest);
    const model = await models.ensure(req.model, undefined, c.req.raw.signal);
    const info = await supervisor.spawn({
      model: model.ref,
      modelDir: model.path,
      backend: req.backend,
      device: req.device,
    });
    return c.json(info, 201);
  });

  app.delete("/v1/workers/:id", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    await supervisor.stop(id);
    return c.json({ stopped: id });
  });

  app.post("/v1/workers/:id/ready", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    const body = await jsonBody(c, WorkerReady);
    if (body.worker_id !== id) {
      throw new RbeeError("VALIDATION_ERROR", "Worker id in the body does not match the URL");
    }
    supervisor.markReady(id);
    return c.json({ ok: true });
  });

  app.post("/v1/workers/:id/inference", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    const body = await readJsonBody(c.req.raw, MAX_INFERENCE_BODY);
    return await proxyInference(supervisor, id, body, c.req.raw.signal, correlationId(c));
  });

  app.post("/v1/models/pull", async (c) => {
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

/** Forwards an inference request to a worker and relays its stream, keeping the worker busy meanwhile. */
async function proxyInference(
  supervisor: Supervisor,
  id: string,
  body: unknown,
  signal: AbortSignal,
  cid: string,
): Promise<Response> {
  const url = supervisor.urlOf(id);
  if (!url || !supervisor.acquire(id)) {
    const state = supervisor.get(id).state;
    if (state === "busy") {
      return Response.json(new RbeeError("ALL_SLOTS_BUSY", `Worker '${id}' is busy`).toEnvelope(), {
        status: 503,
        headers: { "retry-after": "1" },
      });
    }
    throw new RbeeError("WORKER_NOT_FOUND", `Worker '${id}' is not ready (state '${state}')`);
  }
  const abort = followRequest(signal);
  let res: Response;
  try {
    res = await fetch(`${url}/v1/inference`, {
      method: "POST",
      headers: { "content-type": "application/json", [CORRELATION_HEADER]: cid },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
  } catch {
    supervisor.release(id);
    throw new RbeeError("WORKER_CRASHED", `Worker '${id}' did not answer`);
  } finally {
    abort.detach();
  }
  if (!res.ok || !res.body) {
    supervisor.release(id);
    throw fromEnvelope(await res.json().catch(() => null), res.status);
  }
  const stream = relayStream(
    res.body,
    () => {
      supervisor.release(id);
      abort.abort(); // closes the connection to the worker, which stops generating
    },
    () => new RbeeError("WORKER_CRASHED", `Worker '${id}' stopped in the middle of the stream`),
  );
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/** Schema of the hive's pull stream's final event. */
export const PullDone = z.object({ model: z.string() });
