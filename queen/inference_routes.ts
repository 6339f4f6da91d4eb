/**
 * The queen's inference routes: OpenAI-compatible completions and chat
 * completions (streamed or whole), and the native `POST /v2/inference` stream.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { InferenceRequest, KeepAlive } from "../shared/contracts/inference.ts";
import { validate } from "../shared/validation.ts";
import { Backend, DeviceIndex } from "../shared/contracts/worker.ts";
import { ModelDtype } from "../shared/contracts/models.ts";
import { ChatCompletionRequest, CompletionRequest } from "../shared/contracts/openai.ts";
import { RbeeError } from "../shared/errors.ts";
import { type AppEnv, correlationId, jsonBody } from "../shared/http.ts";
import { followRequest } from "../shared/abort.ts";
import {
  type DeadlinePolicy,
  deadlineSignal,
  effectiveDeadline,
  requestedDeadline,
} from "../shared/deadline.ts";
import { DEFAULT_MODEL } from "../shared/model_ref.ts";
import { InFlight, onIteratorEnd } from "./in_flight.ts";
import { chatToNative, completionToNative, fullResponse, type OpenAiKind } from "./openai.ts";
import type { RoutedRequest, Router } from "./router.ts";
import { collect, nativeSse, openAiSse, type StartedStream, startStream } from "./streams.ts";

/** Request ids as the queen hands them out (its correlation ids). */
const RequestId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "Expected a request id");

/** Body of the native `POST /v2/inference`. */
export const NativeInferenceRequest = z.intersection(
  z.object({
    model: z.string().min(1).max(512).default(DEFAULT_MODEL),
    backend: Backend.optional(),
    device: DeviceIndex.default(0),
    /** Weight precision: which ONNX variant the worker loads (default fp32). */
    dtype: ModelDtype.optional(),
    /** Passed to the hive, which unloads the worker once it has been idle this long. */
    keep_alive: KeepAlive.optional(),
  }),
  InferenceRequest,
);

/**
 * Starts routing and waits for the first event; the work stops when the
 * client goes away or the request's deadline passes.
 */
async function begin(
  router: Router,
  c: Context<AppEnv>,
  req: Omit<RoutedRequest, "deadline">,
  policy: DeadlinePolicy,
  inFlight: InFlight,
) {
  const now = Date.now();
  const deadline = effectiveDeadline(requestedDeadline(c.req.raw.headers, now), now, policy);
  const abort = followRequest(c.req.raw.signal);
  const signal = AbortSignal.any([abort.signal, deadlineSignal(deadline, now)]);
  const id = correlationId(c);
  const unregister = inFlight.add(id, () => abort.abort());
  let stream: StartedStream | null;
  try {
    stream = await startStream(router.run({ ...req, deadline }, id, signal));
  } catch (err) {
    unregister();
    throw err;
  }
  if (!stream) {
    unregister();
    throw new RbeeError("INTERNAL", "Inference ended without any event");
  }
  stream.rest = onIteratorEnd(stream.rest, unregister);
  // From here on the response is streaming: only its cancellation means the client left.
  abort.detach();
  return { stream, cancel: () => abort.abort() };
}

/** Inference routes, mounted at the root. */
export function inferenceRoutes(
  router: Router,
  defaultBackend: z.infer<typeof Backend>,
  deadlines: DeadlinePolicy,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const inFlight = new InFlight();

  app.delete("/v2/requests/:id", (c) => {
    const id = validate(RequestId, c.req.param("id"), "request id");
    if (!inFlight.cancel(id)) throw new RbeeError("NOT_FOUND", `No request '${id}' is in progress`);
    return c.json({ cancelled: id });
  });

  app.post("/v2/inference", async (c) => {
    const { model, backend, device, dtype, keep_alive, ...params } = await jsonBody(
      c,
      NativeInferenceRequest,
    );
    const req = {
      model,
      backend: backend ?? defaultBackend,
      device,
      dtype,
      keepAlive: keep_alive,
      params: params as InferenceRequest,
    };
    const { stream, cancel } = await begin(router, c, req, deadlines, inFlight);
    return nativeSse(stream, cancel);
  });

  const openAi = (kind: OpenAiKind) => async (c: Context<AppEnv>) => {
    const body = kind === "completion"
      ? await jsonBody(c, CompletionRequest)
      : await jsonBody(c, ChatCompletionRequest);
    const params = validate(
      InferenceRequest,
      kind === "completion"
        ? completionToNative(body as CompletionRequest)
        : chatToNative(body as ChatCompletionRequest),
    );
    const req = {
      model: body.model,
      backend: body.backend ?? defaultBackend,
      device: body.device ?? 0,
      dtype: body.dtype,
      keepAlive: body.keep_alive,
      params,
    };
    const meta = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${correlationId(c)}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    const { stream, cancel } = await begin(router, c, req, deadlines, inFlight);
    if (body.stream) {
      return openAiSse(kind, meta, body.stream_options?.include_usage ?? false, stream, cancel);
    }
    const { text, end } = await collect(stream);
    return c.json(fullResponse(kind, meta, text, end));
  };
  app.post("/v1/completions", openAi("completion"));
  app.post("/v1/chat/completions", openAi("chat"));
  return app;
}
