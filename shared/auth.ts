/**
 * Bearer-token authentication for every daemon: one middleware, one 401
 * shape, tokens compared in constant time, and the start-up rule that a
 * daemon reachable beyond loopback must have a token.
 */
import type { MiddlewareHandler } from "hono";
import { errorResponse, RbeeError } from "./errors.ts";
import type { AppEnv } from "./http.ts";
import { fingerprint, tokensMatch } from "./token.ts";

/** The tokens a daemon accepts right now (swappable on SIGHUP). */
export interface TokenHolder {
  /** Null: no token configured (allowed on loopback only). */
  current(): string | null;
}

/** Outcome of checking one request's credentials. */
export type AuthOutcome =
  | { ok: true; actor: string | null }
  | { ok: false; error: RbeeError };

/** Checks an `Authorization` header against the expected token. Pure. */
export function checkAuthorization(header: string | undefined, expected: string | null): AuthOutcome {
  if (expected === null) return { ok: true, actor: null };
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) {
    return {
      ok: false,
      error: new RbeeError("MISSING_API_KEY", "Authorization: Bearer <token> is required"),
    };
  }
  if (!tokensMatch(match[1], expected)) {
    return { ok: false, error: new RbeeError("INVALID_API_KEY", "The token is not valid") };
  }
  return { ok: true, actor: fingerprint(expected) };
}

/** Paths that never need a token (`GET /health` only). */
function isPublic(method: string, path: string): boolean {
  return method === "GET" && path === "/health";
}

/** Hono middleware requiring the holder's token on every route but `GET /health`. */
export function requireToken(
  holder: TokenHolder,
  onResult?: (outcome: AuthOutcome, path: string) => void,
  exempt: (method: string, path: string) => boolean = () => false,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isPublic(c.req.method, c.req.path) || exempt(c.req.method, c.req.path)) return await next();
    const outcome = checkAuthorization(c.req.header("authorization"), holder.current());
    onResult?.(outcome, c.req.path);
    if (!outcome.ok) return errorResponse(outcome.error, { "www-authenticate": "Bearer" });
    await next();
  };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The start-up rule: without a token a daemon may only bind loopback.
 * Returns a warning to log once, or throws when the bind must be refused.
 */
export function checkBindPolicy(service: string, host: string, token: string | null): string | null {
  if (token) return null;
  if (!isLoopbackHost(host)) {
    throw new RbeeError(
      "VALIDATION_ERROR",
      `Refusing to start ${service} on '${host}' without a token: anyone who can reach it could use it. ` +
        "Give it a token (--token-file, CREDENTIALS_DIRECTORY or RBEE_TOKEN) or bind 127.0.0.1",
    );
  }
  return `${service} runs without a token: only this machine can reach it (${host})`;
}

/** The headers a client sends with its token (none when it has no token). */
export function authHeaders(token: string | null | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
