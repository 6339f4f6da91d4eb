/**
 * `GET /v1/devices`: the machine's CPU, RAM and NVIDIA GPUs, as preflight sees them.
 */
import { Hono } from "hono";
import type { AppEnv } from "../shared/http.ts";
import { readDevices } from "./devices.ts";

/** Routes under `/v1/devices`. */
export function deviceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => c.json(await readDevices()));
  return app;
}
