/**
 * The hive's worker routes: list, spawn, stop, the worker's ready callback,
 * and inference proxied to a worker (its stream relayed as it comes).
 */
import { authHeaders } from "../shared/auth.ts";
import { deadlineExceeded, deadlineHeaders, deadlineSignal, requestedDeadline } from "../shared/deadline.ts";
import { Hono } from "hono";
import { SpawnWorkerRequest, WorkerId, WorkerReady } from "../shared/contracts/worker.ts";
import { ResetBreakerRequest } from "../shared/contracts/supervision.ts";
import { fromEnvelope, RbeeError } from "../shared/errors.ts";
import { type AppEnv, CORRELATION_HEADER, correlationId, jsonBody } from "../shared/http.ts";
import { relayStream } from "../shared/relay.ts";
import { followRequest } from "../shared/abort.ts";
import { readJsonBody, validate } from "../shared/validation.ts";
import type { ModelProvider } from "./model_routes.ts";
import type { Supervisor } from "./supervisor.ts";
import { parseKeepAlive } from "./keep_alive.ts";

const MAX_INFERENCE_BODY = 1024 * 1024;

function workerIdParam(id: string): string {
  return validate(WorkerId, id, "worker id");
}

/** Routes under `/v1/workers`. */
export function workerRoutes(supervisor: Supervisor, models: ModelProvider): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", (c) => c.json({ workers: supervisor.list() }));

  app.post("/", async (c) => {
    const req = await jsonBody(c, SpawnWorkerRequest);
    const model = await models.ensure(req.model, undefined, c.req.raw.signal, req.dtype);
    const info = await supervisor.spawn({
      model: model.ref,
      modelDir: model.path,
      backend: req.backend,
      device: req.device,
      dtype: req.dtype,
    });
    return c.json(info, 201);
  });

  // Operator action: let a placement whose breaker opened be started again.
  app.post("/reset-breaker", async (c) => {
    const req = await jsonBody(c, ResetBreakerRequest);
    supervisor.resetBreaker(req);
    return c.json({ reset: true });
  });

  app.delete("/:id", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    const outcome = await supervisor.stop(id);
    return c.json({ stopped: id, forced: outcome?.forced ?? false });
  });

  app.post("/:id/ready", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    const body = await jsonBody(c, WorkerReady);
    if (body.worker_id !== id) {
      throw new RbeeError("VALIDATION_ERROR", "Worker id in the body does not match the URL");
    }
    // Only the worker itself may say it is ready: it presents the token this hive gave it.
    const token = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) throw new RbeeError("MISSING_API_KEY", "Authorization: Bearer <token> is required");
    if (!supervisor.isWorkerToken(id, token)) {
      throw new RbeeError("INVALID_API_KEY", "The token is not valid");
    }
    supervisor.markReady(id);
    return c.json({ ok: true });
  });

  app.post("/:id/inference", async (c) => {
    const id = workerIdParam(c.req.param("id"));
    // The queen's deadline holds here too: this hop may shorten it, never extend it.
    const deadline = requestedDeadline(c.req.raw.headers, Date.now());
    const body = await readJsonBody(c.req.raw, MAX_INFERENCE_BODY);
    return await proxyInference(supervisor, id, body, c.req.raw.signal, correlationId(c), deadline);
  });
  return app;
}

/** Forwards an inference request to a worker and relays its stream, keeping the worker busy meanwhile. */
async function proxyInference(
  supervisor: Supervisor,
  id: string,
  raw: unknown,
  signal: AbortSignal,
  cid: string,
  deadline: number | null,
): Promise<Response> {
  const { body, keepAliveMs } = takeKeepAlive(raw);
  const endpoint = supervisor.endpointOf(id);
  if (!endpoint || !supervisor.acquire(id)) {
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
  const late = deadlineSignal(deadline);
  late.addEventListener("abort", () => abort.abort(), { once: true });
  let res: Response;
  try {
    res = await fetch(`${endpoint.url}/v1/inference`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [CORRELATION_HEADER]: cid,
        ...authHeaders(endpoint.token),
        ...deadlineHeaders(deadline),
      },
      body: JSON.stringify(body),
      signal: abort.signal,
    });
  } catch {
    supervisor.release(id);
    if (late.aborted) throw deadlineExceeded();
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
      supervisor.release(id, keepAliveMs);
      abort.abort(); // closes the connection to the worker, which stops generating
    },
    () =>
      late.aborted
        ? deadlineExceeded()
        : new RbeeError("WORKER_CRASHED", `Worker '${id}' stopped in the middle of the stream`),
  );
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/** Splits the request's `keep_alive` (Ollama-style, see keep_alive.ts) from the body the worker gets. */
function takeKeepAlive(raw: unknown): { body: unknown; keepAliveMs?: number } {
  if (!raw || typeof raw !== "object" || !("keep_alive" in raw)) return { body: raw };
  const { keep_alive, ...body } = raw as Record<string, unknown>;
  try {
    return { body, keepAliveMs: parseKeepAlive(keep_alive) };
  } catch {
    throw new RbeeError("VALIDATION_ERROR", "Expected keep_alive to be a duration such as 30s, 5m, 0 or -1", {
      field: "keep_alive",
    });
  }
}
