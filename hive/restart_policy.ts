/**
 * Whether and when to restart a worker that exited unexpectedly: exponential
 * backoff (1 s, 2 s, 4 s … capped at 60 s, with jitter) up to a maximum number
 * of consecutive attempts, and never while the placement's breaker is open.
 * Pure: time and randomness come in as arguments.
 */
import {
  type Breaker,
  breakerAllows,
  type BreakerConfig,
  DEFAULT_BREAKER,
  recordFailure,
} from "./breaker.ts";

/** Restart settings. */
export interface RestartConfig {
  /** First delay (default 1 s); each attempt doubles it. */
  baseDelayMs: number;
  /** Longest delay (default 60 s). */
  maxDelayMs: number;
  /** Fraction of the delay removed at random, 0…1 (default 0.2), so crashed workers do not restart in lockstep. */
  jitter: number;
  /** Consecutive restarts without the worker becoming ready before giving up (default 3). */
  maxAttempts: number;
  breaker: BreakerConfig;
}

/** Defaults from the issue: 1 s doubling to 60 s, 3 attempts, 5 failures in 5 minutes open the breaker. */
export const DEFAULT_RESTART: RestartConfig = {
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.2,
  maxAttempts: 3,
  breaker: DEFAULT_BREAKER,
};

/** What to do about a worker that exited unexpectedly. */
export type RestartDecision =
  | { action: "restart"; attempt: number; delayMs: number }
  | { action: "give_up"; reason: "max_attempts" | "breaker_open" };

/** The delay before restart `attempt` (1-based): base·2^(attempt-1), capped, minus up to `jitter` of it. */
export function backoffDelay(attempt: number, cfg: RestartConfig, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`Invalid attempt ${attempt}`);
  const raw = Math.min(cfg.maxDelayMs, cfg.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(raw * (1 - cfg.jitter * random()));
}

/** Input to {@link planRestart}. */
export interface RestartInput {
  /** Restarts already tried since the worker was last ready. */
  attempts: number;
  /** The placement's breaker before this failure. */
  breaker: Breaker;
  now: number;
}

/** Records the failure on the breaker and decides whether to restart, after how long. */
export function planRestart(
  input: RestartInput,
  cfg: RestartConfig,
  random: () => number,
): { decision: RestartDecision; breaker: Breaker } {
  const breaker = recordFailure(input.breaker, input.now, cfg.breaker);
  if (!breakerAllows(breaker, input.now, cfg.breaker)) {
    return { decision: { action: "give_up", reason: "breaker_open" }, breaker };
  }
  if (input.attempts >= cfg.maxAttempts) {
    return { decision: { action: "give_up", reason: "max_attempts" }, breaker };
  }
  const attempt = input.attempts + 1;
  return { decision: { action: "restart", attempt, delayMs: backoffDelay(attempt, cfg, random) }, breaker };
}
