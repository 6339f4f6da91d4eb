/**
 * A circuit breaker per placement (model, backend, device): pure state and
 * transitions, so that time is a plain number the caller passes in.
 *
 *   closed ─(threshold failures within window)─▶ open
 *   open ─(cooldown elapsed)─▶ half_open ─(worker ready)─▶ closed
 *                                  └──────(failure)──────▶ open
 *   any ─(operator reset)─▶ closed
 */

/** Breaker settings. */
export interface BreakerConfig {
  /** Failures within `windowMs` that open the breaker (default 5). */
  threshold: number;
  /** Sliding window for counting failures (default 5 minutes). */
  windowMs: number;
  /** How long an open breaker refuses before allowing one trial start (default 5 minutes). */
  cooldownMs: number;
}

/** Defaults: 5 failures within 5 minutes open the breaker for 5 minutes. */
export const DEFAULT_BREAKER: BreakerConfig = { threshold: 5, windowMs: 300_000, cooldownMs: 300_000 };

/** A breaker's state; `failures` are the times (ms) of recent failures. */
export type Breaker =
  | { state: "closed"; failures: number[] }
  | { state: "open"; failures: number[]; openedAt: number }
  | { state: "half_open"; failures: number[] };

/** A fresh, closed breaker. */
export function closedBreaker(): Breaker {
  return { state: "closed", failures: [] };
}

/** The breaker after a failure at `now`. */
export function recordFailure(b: Breaker, now: number, cfg: BreakerConfig): Breaker {
  const failures = [...b.failures.filter((t) => now - t < cfg.windowMs), now];
  if (b.state === "half_open" || failures.length >= cfg.threshold) {
    return { state: "open", failures, openedAt: now };
  }
  return { ...b, failures } as Breaker;
}

/** The breaker after a worker became ready: a trial start closes it. */
export function recordSuccess(b: Breaker): Breaker {
  return b.state === "half_open" ? closedBreaker() : b;
}

/** The breaker as seen at `now`: an open one whose cooldown has passed becomes half-open. */
export function breakerAt(b: Breaker, now: number, cfg: BreakerConfig): Breaker {
  if (b.state === "open" && now - b.openedAt >= cfg.cooldownMs) {
    return { state: "half_open", failures: b.failures };
  }
  return b;
}

/** True when a start may be attempted at `now`. */
export function breakerAllows(b: Breaker, now: number, cfg: BreakerConfig): boolean {
  return breakerAt(b, now, cfg).state !== "open";
}
