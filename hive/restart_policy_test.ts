import { assertEquals, assertThrows } from "../shared/testing.ts";
import { type Breaker, breakerAllows, breakerAt, closedBreaker, recordSuccess } from "./breaker.ts";
import { backoffDelay, DEFAULT_RESTART, planRestart, type RestartConfig } from "./restart_policy.ts";

const noJitter = () => 0;
const cfg: RestartConfig = { ...DEFAULT_RESTART, maxAttempts: 10 };

Deno.test("backoff doubles from 1 s and is capped at 60 s", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 8, 40].map((n) => backoffDelay(n, cfg, noJitter));
  assertEquals(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  assertThrows(() => backoffDelay(0, cfg, noJitter), RangeError);
});

Deno.test("jitter only shortens the delay, by at most its fraction", () => {
  assertEquals(backoffDelay(3, cfg, () => 0.999999), 3200);
  assertEquals(backoffDelay(3, cfg, () => 0.5), 3600);
  assertEquals(backoffDelay(10, cfg, () => 1), 48_000);
});

/** Feeds `n` failures `gapMs` apart through planRestart, restarting each time, like the supervisor does. */
function crashLoop(n: number, gapMs: number, config: RestartConfig, attemptsResetOnReady = false) {
  let breaker: Breaker = closedBreaker();
  let attempts = 0;
  const out = [];
  for (let i = 0; i < n; i++) {
    const plan = planRestart({ attempts, breaker, now: i * gapMs }, config, noJitter);
    breaker = plan.breaker;
    out.push(plan.decision);
    if (plan.decision.action === "restart") attempts = attemptsResetOnReady ? 0 : plan.decision.attempt;
  }
  return { out, breaker };
}

Deno.test("a worker that crashes at start-up every time is restarted 3 times with growing delays, then given up", () => {
  const { out } = crashLoop(4, 1000, { ...DEFAULT_RESTART });
  assertEquals(out, [
    { action: "restart", attempt: 1, delayMs: 1000 },
    { action: "restart", attempt: 2, delayMs: 2000 },
    { action: "restart", attempt: 3, delayMs: 4000 },
    { action: "give_up", reason: "max_attempts" },
  ]);
});

Deno.test("five failures within five minutes open the breaker, even when each restart got ready", () => {
  const { out, breaker } = crashLoop(5, 30_000, cfg, true);
  assertEquals(out.slice(0, 4).every((d) => d.action === "restart" && d.attempt === 1), true);
  assertEquals(out[4], { action: "give_up", reason: "breaker_open" });
  assertEquals(breaker.state, "open");
});

Deno.test("failures spread over more than the window do not open the breaker", () => {
  const { out, breaker } = crashLoop(12, 76_000, cfg, true);
  assertEquals(out.every((d) => d.action === "restart"), true);
  assertEquals(breaker.state, "closed");
});

Deno.test("an open breaker allows one trial after its cooldown; success closes it, failure reopens it", () => {
  const { breaker: open } = crashLoop(5, 1000, cfg, true);
  const b = cfg.breaker;
  assertEquals(breakerAllows(open, 4000 + b.cooldownMs - 1, b), false);
  const trial = breakerAt(open, 4000 + b.cooldownMs, b);
  assertEquals(trial.state, "half_open");
  assertEquals(recordSuccess(trial).state, "closed");
  const again = planRestart({ attempts: 0, breaker: trial, now: 4000 + b.cooldownMs }, cfg, noJitter);
  assertEquals([again.decision, again.breaker.state], [
    { action: "give_up", reason: "breaker_open" },
    "open",
  ]);
});
