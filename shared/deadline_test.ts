import { assertEquals, assertThrows } from "./testing.ts";
import { RbeeError } from "./errors.ts";
import { deadlineSignal, effectiveDeadline, parseDeadlineValue, requestedDeadline } from "./deadline.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");

Deno.test("deadlines parse from RFC 3339 and epoch milliseconds; junk is a validation error", () => {
  assertEquals(parseDeadlineValue("2026-11-26T12:00:05Z"), NOW + 5000);
  assertEquals(parseDeadlineValue("2026-11-26T13:00:05+01:00"), NOW + 5000);
  assertEquals(parseDeadlineValue(String(NOW + 7)), NOW + 7);
  for (const bad of ["tomorrow", "2026-11-26", "-5", "1e9", ""]) {
    assertEquals(assertThrows(() => parseDeadlineValue(bad), RbeeError).code, "VALIDATION_ERROR", bad);
  }
});

Deno.test("the earlier of deadline and timeout wins", () => {
  const h = new Headers({ "x-request-deadline": String(NOW + 9000), "x-request-timeout-ms": "2000" });
  assertEquals(requestedDeadline(h, NOW), NOW + 2000);
  assertEquals(requestedDeadline(new Headers(), NOW), null);
  assertThrows(() => requestedDeadline(new Headers({ "x-request-timeout-ms": "0" }), NOW), RbeeError);
});

Deno.test("a hop applies its default, caps at its maximum, and never extends", () => {
  assertEquals(effectiveDeadline(null, NOW, { defaultMs: 1000, maxMs: 5000 }), NOW + 1000);
  assertEquals(effectiveDeadline(NOW + 60_000, NOW, { defaultMs: 1000, maxMs: 5000 }), NOW + 5000);
  assertEquals(effectiveDeadline(NOW + 300, NOW, { maxMs: 5000 }), NOW + 300);
  assertEquals(effectiveDeadline(null, NOW, {}), null);
});

Deno.test("the signal aborts with DEADLINE_EXCEEDED once the deadline passes", async () => {
  const signal = deadlineSignal(Date.now() + 20);
  assertEquals(signal.aborted, false);
  await new Promise((r) => setTimeout(r, 60));
  assertEquals((signal.reason as RbeeError).code, "DEADLINE_EXCEEDED");
  assertEquals(deadlineSignal(Date.now() - 1).aborted, true);
});
