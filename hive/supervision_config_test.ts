import { assertEquals, assertThrows } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { loadSupervisionConfig, supervisionOptions } from "./supervision_config.ts";
import { DEFAULT_RESTART } from "./restart_policy.ts";

Deno.test("unset supervision settings keep the defaults (nothing is set)", () => {
  assertEquals(loadSupervisionConfig({}), { restart: { breaker: {} } });
});

Deno.test("restart, breaker and stop settings come from the environment", () => {
  const c = loadSupervisionConfig({
    RBEE_RESTART_ATTEMPTS: "5",
    RBEE_RESTART_BASE_MS: "200",
    RBEE_BREAKER_FAILURES: "2",
    RBEE_SHUTDOWN_CAP_MS: "10000",
  });
  assertEquals(c, {
    restart: { baseDelayMs: 200, maxAttempts: 5, breaker: { threshold: 2 } },
    shutdownCapMs: 10000,
  });
});

Deno.test("a bad value is refused, naming the setting", () => {
  const err = assertThrows(() => loadSupervisionConfig({ RBEE_RESTART_ATTEMPTS: "lots" }), RbeeError);
  assertEquals(err.code, "VALIDATION_ERROR");
  assertEquals(err.message.includes("restart.maxAttempts"), true, err.message);
});

Deno.test("the supervisor gets a complete restart policy: settings over defaults, the breaker merged too", () => {
  const opts = supervisionOptions({ RBEE_BREAKER_FAILURES: "2", RBEE_KILL_AFTER_MS: "500" });
  assertEquals(opts.restart, { ...DEFAULT_RESTART, breaker: { ...DEFAULT_RESTART.breaker, threshold: 2 } });
  assertEquals(opts.killAfterMs, 500);
  assertEquals(supervisionOptions({}).restart, DEFAULT_RESTART);
});
