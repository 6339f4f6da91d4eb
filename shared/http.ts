/**
 * What every role's HTTP app shares: the error envelope on every failure,
 * a JSON 404, correlation ids, and validated JSON bodies.
 */
import type { Context, Hono } from "hono";
import type { z } from "zod";
import { errorResponse, RbeeError, toRbeeError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { readJsonBody, validate } from "./validation.ts";

/** Default cap on request bodies. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Header that carries one request's id across every hop. */
export const CORRELATION_HEADER = "x-correlation-id";

/** Context variables every role's app carries. */
export type AppEnv = { Variables: { correlationId: string } };

/** Installs the error envelope, a JSON 404 and correlation ids on `app`. */
export function installCommonHandlers(app: Hono<AppEnv>, log: Logger): void {
  app.use(async (c, next) => {
    const incoming = c.req.header(CORRELATION_HEADER);
    const id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set("correlationId", id);
    c.header(CORRELATION_HEADER, id);
    await next();
  });
  app.notFound(() => errorResponse(new RbeeError("NOT_FOUND", "No such route")));
  app.onError((err, c) => {
    const rbee = toRbeeError(err);
    if (rbee.code === "INTERNAL") {
      log.error("Unhandled error", { path: c.req.path, error: String(err), stack: (err as Error).stack });
    }
    const retry = rbee.details?.retry_after_s;
    return errorResponse(rbee, typeof retry === "number" ? { "retry-after": String(retry) } : undefined);
  });
}

/** The request's correlation id (set by {@link installCommonHandlers}). */
export function correlationId(c: Context<AppEnv>): string {
  return c.get("correlationId") ?? crypto.randomUUID();
}

/** Reads and validates a JSON body against `schema`. */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  limit = DEFAULT_BODY_LIMIT,
): Promise<z.infer<S>> {
  return validate(schema, await readJsonBody(c.req.raw, limit));
}
