import { assertEquals, assertRejects } from "../../shared/testing.ts";
import { eachLimited, shareJob, shouldEmit, throttleProgress } from "./pull_job.ts";

Deno.test("shouldEmit passes stage changes and completions, and thins byte counts of any file", () => {
  const last = { stage: "downloading", file: "a", bytes_done: 10, bytes_total: 100 };
  assertEquals(shouldEmit(null, 0, last, 0, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 20 }, 1100, 250), false);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 20 }, 1250, 250), true);
  assertEquals(shouldEmit(last, 1000, { ...last, bytes_done: 100 }, 1001, 250), true);
  // Files download side by side: another file's byte count is thinned like the same file's.
  assertEquals(shouldEmit(last, 1000, { ...last, file: "b" }, 1001, 250), false);
  assertEquals(shouldEmit(last, 1000, { ...last, file: "b", bytes_done: 100 }, 1001, 250), true);
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

Deno.test("eachLimited runs at most `limit` tasks at once, in order", async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, new AbortController().signal, async (n) => {
    started.push(n);
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, n % 3));
    running--;
  });
  assertEquals([started, most], [[1, 2, 3, 4, 5, 6, 7], 3]);
});

Deno.test("eachLimited: the first failure stops the others, and is thrown once they have stopped", async () => {
  const events: string[] = [];
  const err = await assertRejects(
    () =>
      eachLimited(["slow", "fails", "later"], 2, new AbortController().signal, async (name, signal) => {
        if (name === "fails") {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error("disk full");
        }
        // "slow" runs until it is told to stop; "later" is never started.
        events.push(`${name} started`);
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`${name} stopped`);
      }),
    Error,
  );
  assertEquals([err.message, events], ["disk full", ["slow started", "slow stopped"]]);
});

Deno.test("eachLimited stops when its caller aborts", async () => {
  const caller = new AbortController();
  const started: number[] = [];
  const run = eachLimited([1, 2, 3], 1, caller.signal, (n, signal) => {
    started.push(n);
    caller.abort(new Error("cancelled"));
    signal.throwIfAborted();
    return Promise.resolve();
  });
  const err = await assertRejects(() => run, Error);
  assertEquals([err.message, started], ["cancelled", [1]]);
});
