import { assertEquals, assertThrows } from "../shared/testing.ts";
import { dueForUnload, parseKeepAlive } from "./keep_alive.ts";

Deno.test("keep_alive takes Ollama's forms: durations, seconds, 0 and negative", () => {
  assertEquals(["30s", "5m", "1h", "250ms", "10", 10, 0, "0", -1, "-1m"].map(parseKeepAlive), [
    30_000,
    300_000,
    3_600_000,
    250,
    10_000,
    10_000,
    0,
    0,
    -1,
    -1,
  ]);
  assertThrows(() => parseKeepAlive("soon"), RangeError);
  assertThrows(() => parseKeepAlive(null), RangeError);
});

Deno.test("an idle worker is due once its keep-alive has passed; a negative one never is", () => {
  assertEquals(dueForUnload(1000, 500, 1499), false);
  assertEquals(dueForUnload(1000, 500, 1500), true);
  assertEquals(dueForUnload(1000, 0, 1000), true);
  assertEquals(dueForUnload(1000, -1, 1e12), false);
});
