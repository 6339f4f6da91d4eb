/**
 * The worker's HTTP routes: health, and inference streamed as server-sent
 * events (`started`, one `token` per token, `end`, then `[DONE]`).
 */
import { Hono } from "hono";
import { InferenceRequest } from "../shared/contracts/inference.ts";
import { RbeeError, toRbeeError } from "../shared/errors.ts";
import { type AppEnv, correlationId, installCommonHandlers, jsonBody } from "../shared/http.ts";
import type { Logger } from "../shared/log.ts";
import { sseResponse } from "../shared/sse_response.ts";
import { generate, promptIds } from "./generate.ts";
import { requireToken, type TokenHolder } from "../shared/auth.ts";
import { deadlineExceeded, deadlineSignal, requestedDeadline } from "../shared/deadline.ts";
import type { LanguageModel } from "./model.ts";

/** The worker's mutable runtime, shared with `main.ts`. */
export interface WorkerRuntime {
  modelName: string;
  /** Null while the model loads. */
  model: LanguageModel | null;
  /** Requests generating right now. */
  active: number;
  /** Requests served at once (default 1). */
  slots?: number;
  /** Graceful stop: finish or cancel in-flight requests, then exit (set by main.ts). */
  shutdown?: () => void;
}

/** Builds the worker's app over its runtime; every route but health needs the hive's per-worker token. */
export function createWorkerApp(
  rt: WorkerRuntime,
  log: Logger,
  tokens: TokenHolder = { current: () => null },
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, log);
  app.use(requireToken(tokens));

  app.get("/health", (c) =>
    c.json({
      status: "ok",
      state: rt.model === null ? "loading" : rt.active > 0 ? "busy" : "idle",
      model: rt.modelName,
    }));

  // The hive's polite first step when stopping a worker (before SIGTERM).
  app.post("/v1/shutdown", (c) => {
    if (!rt.shutdown) throw new RbeeError("NOT_FOUND", "This worker cannot be asked to shut down");
    setTimeout(rt.shutdown, 0);
    return c.json({ stopping: true }, 202);
  });

  app.post("/v1/inference", async (c) => {
    const req = await jsonBody(c, InferenceRequest);
    const model = rt.model;
    if (!model) throw new RbeeError("MODEL_LOADING", "The model is still loading");
    if (rt.active >= (rt.slots ?? 1)) {
      const err = new RbeeError("ALL_SLOTS_BUSY", `All ${rt.slots ?? 1} of the worker's slots are busy`);
      return c.json(err.toEnvelope(), 503, { "retry-after": "1" });
    }
    const ids = promptIds(model, req);
    const requestId = correlationId(c);
    const late = deadlineSignal(requestedDeadline(c.req.raw.headers, Date.now()));
    if (late.aborted) throw deadlineExceeded();
    rt.active++;
    return sseResponse(async (sink, clientGone) => {
      try {
        sink.send("started", { request_id: requestId, model: rt.modelName, tokens_in: ids.length });
        const tokens = generate(model, ids, req, AbortSignal.any([clientGone, late]));
        let next = await tokens.next();
        while (!next.done) {
          sink.send("token", next.value);
          next = await tokens.next();
        }
        log.info("Inference finished", {
          request_id: requestId,
          ...next.value,
          deadline_passed: late.aborted,
        });
        // Past the deadline the answer is incomplete: say so instead of ending normally.
        if (late.aborted) throw deadlineExceeded();
        sink.send("end", next.value);
        sink.send(undefined, "[DONE]");
      } catch (err) {
        const rbee = toRbeeError(err);
        log.error("Inference failed", { request_id: requestId, code: rbee.code, error: String(err) });
        sink.send("error", rbee.toEnvelope().error);
      } finally {
        rt.active--;
      }
    });
  });
  return app;
}
