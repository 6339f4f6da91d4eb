import { assertEquals, assertTrue } from "../shared/testing.ts";
import { cpuSecondsOf, cpuSecondsOfSelf, memoryOf, timesSeconds } from "./process_stats.ts";

Deno.test("timesSeconds adds user and system time from a line of bash's times", () => {
  assertEquals(timesSeconds("0m1.500s 1m0.250s"), 61.75);
  assertEquals(timesSeconds("0m0.000s 0m0.000s"), 0);
});

Deno.test("CPU time grows with work, seen from inside and from /proc", () => {
  const [self0, proc0] = [cpuSecondsOfSelf(), cpuSecondsOf(Deno.pid)];
  const end = performance.now() + 200;
  while (performance.now() < end) { /* busy */ }
  assertTrue(cpuSecondsOfSelf() - self0 >= 0.15, "rusage");
  assertTrue(cpuSecondsOf(Deno.pid) - proc0 >= 0.1, "/proc ticks");
});

Deno.test("memoryOf reads resident memory and its peak", () => {
  const { rss, peak } = memoryOf(Deno.pid);
  assertTrue(rss > 1e6 && peak >= rss, `${rss} ${peak}`);
});
