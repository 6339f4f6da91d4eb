/**
 * The supervisor's tunables as the hive reads them from its environment:
 * restart backoff and attempts, the circuit breaker, stop timings and the
 * shutdown cap. Pure; unset values keep the defaults of restart_policy.ts,
 * breaker.ts and supervisor.ts.
 */
import { z } from "zod";
import { validate } from "../shared/validation.ts";
import { DEFAULT_RESTART, type RestartConfig } from "./restart_policy.ts";

const Ms = z.number().int().min(0).max(24 * 3600_000);

/** Supervision settings (all optional: absent means the built-in default). */
export const SupervisionConfig = z.object({
  restart: z.object({
    baseDelayMs: Ms.optional(),
    maxDelayMs: Ms.optional(),
    maxAttempts: z.number().int().min(0).max(100).optional(),
    breaker: z.object({
      threshold: z.number().int().min(1).max(1000).optional(),
      windowMs: Ms.optional(),
      cooldownMs: Ms.optional(),
    }),
  }),
  stopGraceMs: Ms.optional(),
  killAfterMs: Ms.optional(),
  shutdownCapMs: Ms.optional(),
});
/** Supervision settings. */
export type SupervisionConfig = z.infer<typeof SupervisionConfig>;

/** Environment variables that tune supervision, with what each sets. */
export const SUPERVISION_ENV = {
  RBEE_RESTART_BASE_MS: "first restart delay (default 1000, doubling)",
  RBEE_RESTART_MAX_MS: "longest restart delay (default 60000)",
  RBEE_RESTART_ATTEMPTS: "restarts before giving up (default 3)",
  RBEE_BREAKER_FAILURES: "failures that open the circuit breaker (default 5)",
  RBEE_BREAKER_WINDOW_MS: "window they are counted in (default 300000)",
  RBEE_BREAKER_COOLDOWN_MS: "how long an open breaker refuses (default 300000)",
  RBEE_STOP_GRACE_MS: "time a worker gets to finish after being asked to stop (default 5000)",
  RBEE_KILL_AFTER_MS: "time between SIGTERM and SIGKILL (default 3000)",
  RBEE_SHUTDOWN_CAP_MS: "longest whole-hive shutdown (default 30000)",
} as const;

function num(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : Number(value);
}

/** Supervisor options: the restart policy complete (defaults filled in), stop timings where set. */
export interface SupervisionOptions {
  restart: RestartConfig;
  stopGraceMs?: number;
  killAfterMs?: number;
  shutdownCapMs?: number;
}

/** The settings over the built-in defaults, ready for the Supervisor. */
export function supervisionOptions(env: Record<string, string | undefined>): SupervisionOptions {
  const { restart, ...stop } = loadSupervisionConfig(env);
  return {
    ...stop,
    restart: {
      ...DEFAULT_RESTART,
      ...restart,
      breaker: { ...DEFAULT_RESTART.breaker, ...restart.breaker },
    },
  };
}

/** Reads the supervision settings from the environment; a bad value is a VALIDATION_ERROR naming it. */
export function loadSupervisionConfig(env: Record<string, string | undefined>): SupervisionConfig {
  const parsed = validate(SupervisionConfig, {
    restart: {
      baseDelayMs: num(env.RBEE_RESTART_BASE_MS),
      maxDelayMs: num(env.RBEE_RESTART_MAX_MS),
      maxAttempts: num(env.RBEE_RESTART_ATTEMPTS),
      breaker: {
        threshold: num(env.RBEE_BREAKER_FAILURES),
        windowMs: num(env.RBEE_BREAKER_WINDOW_MS),
        cooldownMs: num(env.RBEE_BREAKER_COOLDOWN_MS),
      },
    },
    stopGraceMs: num(env.RBEE_STOP_GRACE_MS),
    killAfterMs: num(env.RBEE_KILL_AFTER_MS),
    shutdownCapMs: num(env.RBEE_SHUTDOWN_CAP_MS),
  }, "supervision settings");
  return stripUndefined(parsed) as SupervisionConfig;
}

// Spreading `{ maxAttempts: undefined }` over the defaults would erase them.
function stripUndefined(value: unknown): unknown {
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out;
}
