/**
 * The queen's HTTP app: wiring, health, models and hives. Inference routes
 * live in inference_routes.ts.
 */
import { Hono } from "hono";
import type { Backend } from "../shared/contracts/worker.ts";
import { type AppEnv, installCommonHandlers, jsonBody } from "../shared/http.ts";
import type { Logger } from "../shared/log.ts";
import { DEFAULT_MODEL, formatModelRef, parseModelRef } from "../shared/model_ref.ts";
import type { HiveClient } from "./hive_client.ts";
import { inferenceRoutes } from "./inference_routes.ts";
import { modelRoutes } from "./model_routes.ts";
import { workerRoutes } from "./worker_routes.ts";
import type { Router } from "./router.ts";
import { type AuthOutcome, requireToken, type TokenHolder } from "../shared/auth.ts";
import type { DeadlinePolicy } from "../shared/deadline.ts";
import { HiveHeartbeat } from "../shared/contracts/hive.ts";
import { RbeeError } from "../shared/errors.ts";

/** What the queen's routes need. */
export interface QueenDeps {
  router: Router;
  hives: () => HiveClient[];
  defaultBackend: Backend;
  log: Logger;
  tokens: TokenHolder;
  onAuth?: (outcome: AuthOutcome, path: string) => void;
  deadlines: DeadlinePolicy;
  /** Records a hive's heartbeat; true when it just joined. Absent: the queen takes no registrations. */
  hiveHeartbeat?: (hb: HiveHeartbeat) => boolean;
}

/** Builds the queen's app. */
export function createQueenApp(deps: QueenDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, deps.log);
  app.use(requireToken(deps.tokens, deps.onAuth));

  app.get("/health", (c) => c.json({ status: "ok", hives: deps.hives().length }));

  app.get("/v1/models", async (c) => {
    const ids = new Set([formatModelRef(parseModelRef(DEFAULT_MODEL))]);
    for (const hive of deps.hives()) {
      for (const w of await hive.listWorkers(c.req.raw.signal).catch(() => [])) ids.add(w.model);
    }
    const data = [...ids].map((id) => ({ id, object: "model", created: 0, owned_by: "rbee" }));
    return c.json({ object: "list", data });
  });

  app.route("/v2/models", modelRoutes(deps.hives));
  app.route("/v2/workers", workerRoutes(deps.hives));
  app.get("/v2/hives", (c) => c.json({ hives: deps.hives().map((h) => ({ name: h.name, url: h.url })) }));
  // A hive registers, then repeats the call as its heartbeat (with the queen's token, like any client).
  app.post("/v2/hives/heartbeat", async (c) => {
    if (!deps.hiveHeartbeat) throw new RbeeError("NOT_FOUND", "This queen does not take hive registrations");
    const hb = await jsonBody(c, HiveHeartbeat);
    const joined = deps.hiveHeartbeat(hb);
    if (joined) deps.log.info("Hive joined", { hive: hb.name, url: hb.url });
    return c.json({ ok: true, joined });
  });
  app.route("/", inferenceRoutes(deps.router, deps.defaultBackend, deps.deadlines));
  return app;
}
