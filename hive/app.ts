/**
 * The hive's HTTP app: wiring only. Routes live in worker_routes.ts and
 * model_routes.ts.
 */
import type { AuditLog } from "../shared/audit.ts";
import { Hono } from "hono";
import { type AppEnv, installCommonHandlers } from "../shared/http.ts";
import type { Logger } from "../shared/log.ts";
import { type ModelProvider, modelRoutes } from "./model_routes.ts";
import type { Supervisor } from "./supervisor.ts";
import { workerRoutes } from "./worker_routes.ts";
import { deviceRoutes } from "./device_routes.ts";
import { type AuthOutcome, requireToken, type TokenHolder } from "../shared/auth.ts";

export type { ModelProvider } from "./model_routes.ts";

/** What the hive's routes need. */
export interface HiveDeps {
  name: string;
  supervisor: Supervisor;
  models: ModelProvider;
  log: Logger;
  /** The hive's token; null runs without one (loopback only). */
  tokens?: TokenHolder;
  onAuth?: (outcome: AuthOutcome, path: string) => void;
  audit?: AuditLog | null;
}

// A worker reports ready with its own per-worker token, checked by that route.
const isWorkerCallback = (method: string, path: string) =>
  method === "POST" && /^\/v1\/workers\/[^/]+\/ready$/.test(path);

/** Builds the hive's app. */
export function createHiveApp(deps: HiveDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  installCommonHandlers(app, deps.log);
  app.use(requireToken(deps.tokens ?? { current: () => null }, deps.onAuth, isWorkerCallback));
  app.get("/health", (c) => c.json({ status: "ok", name: deps.name }));
  app.route("/v1/workers", workerRoutes(deps.supervisor, deps.models));
  app.route("/v1/models", modelRoutes(deps.models, deps.audit ?? null));
  app.route("/v1/devices", deviceRoutes());
  return app;
}
