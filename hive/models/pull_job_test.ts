import { assertEquals, assertRejects } from "../../shared/testing.ts";
import { shareJob, shouldEmit, throttleProgress } from "./pull_job.ts";

Deno.test("shouldEmit passes changes and completions, and thins byte counts", () => {
  const last = { stage: "downloading", file: "a", bytes_done: 10, bytes_total: 100 };
  assertEquals(shouldEmit(null, 0, last, 0, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 20 }, 1100, 250), false);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 20 }, 1250, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 100 }, 1001, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, file: "b" }, 1001, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, stage: "verifying" }, 1001, 250), true);
});

Deno.test("throttleProgress sends at most one byte count per interval", () => {
  let clock = 0;
  const sent: number[] = [];
  const emit = throttleProgress<{ stage: string; bytes_done: number; bytes_total: number }>(
    (p) => sent.push(p.bytes_done),
    250,
    () => clock,
  );
  for (let done = 0; done <= 100; done += 10) {
    emit({ stage: "downloading", bytes_done: done, bytes_total: 100 });
    clock += 100;
  }
  assertEquals(sent, [0, 30, 60, 90, 100]);
});

Deno.test("shareJob runs one job for concurrent callers and fans out its progress", async () => {
  let starts = 0;
  const seen: string[] = [];
  const start = async (_signal: AbortSignal, emit: (p: string) => void) => {
    starts++;
    emit("begin");
    await new Promise((r) => setTimeout(r, 5));
    return 42;
  };
  const results = await Promise.all([
    shareJob("k", start, { onProgress: (p) => seen.push("a:" + p) }),
    shareJob("k", start, { onProgress: (p) => seen.push("b:" + p) }),
  ]);
  assertEquals([results, starts, seen.sort()], [[42, 42], 1, ["a:begin", "b:begin"]]);
  assertEquals(await shareJob("k", start, {}), 42);
  assertEquals(starts, 2);
});

Deno.test("shareJob aborts the job only when every caller has left", async () => {
  let jobSignal: AbortSignal | undefined;
  const start = (signal: AbortSignal) => {
    jobSignal = signal;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => resolve(1), 20);
      signal.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)));
    });
  };
  const [a, b] = [new AbortController(), new AbortController()];
  const first = shareJob("abort", start, { signal: a.signal });
  const second = shareJob("abort", start, { signal: b.signal });
  await Promise.resolve();
  a.abort(new Error("a left"));
  await assertRejects(() => first, Error);
  assertEquals(jobSignal?.aborted, false);
  b.abort(new Error("b left"));
  await assertRejects(() => second, Error);
  assertEquals(jobSignal?.aborted, true);
});
