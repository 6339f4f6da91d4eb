/**
 * The queen's HTTP routes: health, OpenAI-compatible completions, chat
 * completions and models, and the native streaming inference API.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { SamplingParams } from "../shared/contracts/inference.ts";
import { InferenceRequest } from "../shared/contracts/inference.ts";
import { Backend, DeviceIndex } from "../shared/contracts/worker.ts";
import { ChatCompletionRequest, CompletionRequest } from "../shared/contracts/openai.ts";
import { RbeeError } from "../shared/errors.ts";
import { type AppEnv, correlationId, installCommonHandlers, jsonBody } from "../shared/http.ts";
import type { Logger } from "../shared/log.ts";
import { DEFAULT_MODEL, formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import type { HiveClient } from "./hive_client.ts";
import { chatToNative, completionToNative, fullResponse, type OpenAiKind } from "./openai.ts";
import type { RoutedRequest, Router } from "./router.ts";
import { collect, nativeSse, openAiSse, startStream } from "./streams.ts";
import { followRequest } from "../shared/abort.ts";

/** Body of the native `POST /v2/inference`. */
export const NativeInferenceRequest = z.intersection(
  z.object({
    model: z.string().min(1).max(512).default(DEFAULT_MODEL),
    backend: Backend.optional(),
    device: DeviceIndex.default(0),
  }),
  InferenceRequest,
);

/** What the queen's routes need. */
export interface QueenDeps {
  router: Router;
  hives: () => HiveClient[];
  defaultBackend: z.infer<typeof Backend>;
  log: Logger;
}

/** Builds the queen's app. */
export function createQueenApp(deps: QueenDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, deps.log);

  /** Starts routing; the controller aborts the work at every hop when the client goes away. */
  const route = (c: Context<AppEnv>, req: RoutedRequest, cid: string) => {
    const ctrl = followRequest(c.req.raw.signal);
    return { ctrl, events: deps.router.run(req, cid, ctrl.signal) };
  };

  app.get("/health", (c) => c.json({ status: "ok", hives: deps.hives().length }));

  app.get("/v1/models", async (c) => {
    const ids = new Set([formatModelRef(parseModelRef(DEFAULT_MODEL))]);
    for (const hive of deps.hives()) {
      for (const w of await hive.listWorkers(c.req.raw.signal).catch(() => [])) ids.add(w.model);
    }
    const data = [...ids].map((id) => ({ id, object: "model", created: 0, owned_by: "rbee" }));
    return c.json({ object: "list", data });
  });

  app.post("/v2/inference", async (c) => {
    const body = await jsonBody(c, NativeInferenceRequest);
    const { model, backend, device, ...params } = body;
    const req = {
      model,
      backend: backend ?? deps.defaultBackend,
      device,
      params: params as InferenceRequest,
    };
    const { ctrl, events } = route(c, req, correlationId(c));
    const stream = await startStream(events);
    if (!stream) throw new RbeeError("INTERNAL", "Inference ended without any event");
    ctrl.detach();
    return nativeSse(stream, () => ctrl.abort());
  });

  const openAi = (kind: OpenAiKind) => async (c: Context<AppEnv>) => {
    const body = kind === "completion"
      ? await jsonBody(c, CompletionRequest)
      : await jsonBody(c, ChatCompletionRequest);
    const params = kind === "completion"
      ? completionToNative(body as CompletionRequest)
      : chatToNative(body as ChatCompletionRequest);
    SamplingParams.parse(params);
    const req = {
      model: body.model,
      backend: body.backend ?? deps.defaultBackend,
      device: body.device ?? 0,
      params,
    };
    const cid = correlationId(c);
    const meta = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${cid}`,
      created: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    const { ctrl, events } = route(c, req, cid);
    const stream = await startStream(events);
    if (!stream) throw new RbeeError("INTERNAL", "Inference ended without any event");
    if (body.stream) {
      ctrl.detach();
      return openAiSse(
        kind,
        meta,
        body.stream_options?.include_usage ?? false,
        stream,
        () => ctrl.abort(),
      );
    }
    const { text, end } = await collect(stream);
    return c.json(fullResponse(kind, meta, text, end));
  };
  app.post("/v1/completions", openAi("completion"));
  app.post("/v1/chat/completions", openAi("chat"));

  app.get("/v2/hives", (c) => c.json({ hives: deps.hives().map((h) => ({ name: h.name, url: h.url })) }));
  return app;
}
