/**
 * The queen's inference routes: OpenAI-compatible completions and chat
 * completions (streamed or whole), and the native `POST /v2/inference` stream.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { InferenceRequest } from "../shared/contracts/inference.ts";
import { validate } from "../shared/validation.ts";
import { Backend, DeviceIndex } from "../shared/contracts/worker.ts";
import { ChatCompletionRequest, CompletionRequest } from "../shared/contracts/openai.ts";
import { RbeeError } from "../shared/errors.ts";
import { type AppEnv, correlationId, jsonBody } from "../shared/http.ts";
import { followRequest } from "../shared/abort.ts";
import { DEFAULT_MODEL } from "../shared/model_ref.ts";
import { chatToNative, completionToNative, fullResponse, type OpenAiKind } from "./openai.ts";
import type { RoutedRequest, Router } from "./router.ts";
import { collect, nativeSse, openAiSse, type StartedStream, startStream } from "./streams.ts";

/** Body of the native `POST /v2/inference`. */
export const NativeInferenceRequest = z.intersection(
  z.object({
    model: z.string().min(1).max(512).default(DEFAULT_MODEL),
    backend: Backend.optional(),
    device: DeviceIndex.default(0),
  }),
  InferenceRequest,
);

/** Starts routing and waits for the first event; the work stops when the client goes away. */
async function begin(router: Router, c: Context<AppEnv>, req: RoutedRequest) {
  const abort = followRequest(c.req.raw.signal);
  const stream: StartedStream | null = await startStream(router.run(req, correlationId(c), abort.signal));
  if (!stream) throw new RbeeError("INTERNAL", "Inference ended without any event");
  // From here on the response is streaming: only its cancellation means the client left.
  abort.detach();
  return { stream, cancel: () => abort.abort() };
}

/** Inference routes, mounted at the root. */
export function inferenceRoutes(router: Router, defaultBackend: z.infer<typeof Backend>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v2/inference", async (c) => {
    const { model, backend, device, ...params } = await jsonBody(c, NativeInferenceRequest);
    const req = { model, backend: backend ?? defaultBackend, device, params: params as InferenceRequest };
    const { stream, cancel } = await begin(router, c, req);
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
      params,
    };
    const meta = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${correlationId(c)}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    const { stream, cancel } = await begin(router, c, req);
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
