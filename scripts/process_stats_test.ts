import { assertEquals, assertTrue } from "../shared/testing.ts";
import {
  busiestThreadSeconds,
  cpuSecondsOf,
  cpuSecondsOfSelf,
  memoryOf,
  threadCpuSecondsOf,
  timesSeconds,
  watchThreads,
} from "./process_stats.ts";

Deno.test("timesSeconds adds user and system time from a line of bash's times", () => {
  assertEquals(timesSeconds("0m1.500s 1m0.250s"), 61.75);
  assertEquals(timesSeconds("0m0.000s 0m0.000s"), 0);
});

/** Keeps this thread busy until it has spent `seconds` of CPU (by rusage), however loaded the machine. */
function spendCpu(seconds: number): void {
  const [start, giveUp] = [cpuSecondsOfSelf(), performance.now() + 10_000];
  while (cpuSecondsOfSelf() - start < seconds) {
    if (performance.now() > giveUp) throw new Error(`No ${seconds} s of CPU in 10 s`);
  }
}

Deno.test("CPU time grows with work, seen from inside and from /proc", () => {
  const proc0 = cpuSecondsOf(Deno.pid);
  spendCpu(0.2);
  assertTrue(cpuSecondsOf(Deno.pid) - proc0 >= 0.15, "/proc ticks");
});

Deno.test("memoryOf reads resident memory and its peak", () => {
  const { rss, peak } = memoryOf(Deno.pid);
  assertTrue(rss > 1e6 && peak >= rss, `${rss} ${peak}`);
});

Deno.test("busiestThreadSeconds takes the largest growth of any thread, new threads included", () => {
  const before = new Map([[1, 5], [2, 1]]);
  assertEquals(busiestThreadSeconds(before, new Map([[1, 5.5], [2, 1.25]])), 0.5);
  assertEquals(busiestThreadSeconds(before, new Map([[1, 5], [2, 1], [3, 0.75]])), 0.75);
});

Deno.test("the thread that works is found among a process's threads", () => {
  const before = threadCpuSecondsOf(Deno.pid);
  assertTrue(before.size > 1, "a Deno process runs several threads");
  // Busy until one thread has 0.2 s more by /proc: broken accounting would never get there.
  const giveUp = performance.now() + 10_000;
  while (busiestThreadSeconds(before, threadCpuSecondsOf(Deno.pid)) < 0.2) {
    assertTrue(performance.now() < giveUp, "no thread's CPU time grew by 0.2 s in 10 s");
  }
});

Deno.test("a watched thread that ends still counts", async () => {
  const watch = watchThreads(Deno.pid, 10);
  const code = `const end = performance.now() + 300; while (performance.now() < end) {} postMessage("done");`;
  const worker = new Worker(URL.createObjectURL(new Blob([code])), { type: "module" });
  await new Promise((resolve) => worker.onmessage = resolve);
  worker.terminate();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = watch.stop();
  const ended = [...after.keys()].filter((tid) =>
    !threadCpuSecondsOf(Deno.pid).has(tid) && !watch.start.has(tid)
  );
  assertTrue(ended.some((tid) => after.get(tid)! >= 0.1), `ended threads: ${ended.map((t) => after.get(t))}`);
});
