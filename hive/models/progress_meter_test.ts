import { assertEquals } from "../../shared/testing.ts";
import { MIN_SPAN_MS, ProgressMeter, rateOf, SAMPLE_EVERY_MS, TotalProgress } from "./progress_meter.ts";
import type { PullProgress } from "./pull.ts";

const MB = 1_000_000;

Deno.test("no speed and no time left until the samples span long enough to mean something", () => {
  // A 23-byte file fetched in 10 ms once showed "2.3 kB/s, ETA 66h" for a 537 MB pull.
  assertEquals(rateOf({ at: 0, done: 0 }, { at: 10, done: 23 }, 537 * MB), { speed_bps: null, eta_s: null });
  assertEquals(rateOf({ at: 0, done: 0 }, { at: MIN_SPAN_MS - 1, done: MB }, 537 * MB).speed_bps, null);
  assertEquals(rateOf({ at: 0, done: 0 }, { at: 1000, done: 10 * MB }, 100 * MB), {
    speed_bps: 10 * MB,
    eta_s: 9,
  });
});

Deno.test("a finished transfer has no time left, however short it was", () => {
  assertEquals(rateOf({ at: 0, done: 0 }, { at: 5, done: 100 }, 100).eta_s, 0);
  assertEquals(rateOf({ at: 0, done: 0 }, { at: 1000, done: 100 }, 100), { speed_bps: 100, eta_s: 0 });
});

Deno.test("a stalled transfer has a speed of 0 and no time left", () => {
  assertEquals(rateOf({ at: 0, done: 50 }, { at: 2000, done: 50 }, 100), { speed_bps: 0, eta_s: null });
});

Deno.test("the meter measures over its last window, so an old burst stops counting", () => {
  let now = 0;
  const meter = new ProgressMeter(1000 * MB, 3000, () => now);
  meter.update(0);
  now = 1000;
  meter.update(500 * MB); // A burst: 500 MB/s.
  for (now = 2000; now <= 6000; now += 1000) meter.update(500 * MB + (now - 1000) * 10_000);
  // Over the last 3 s (and a sample before): 10 MB/s.
  now = 7000;
  const rate = meter.update(500 * MB + 6000 * 10_000);
  assertEquals(rate.speed_bps, 10 * MB);
});

Deno.test("a meter updated for every read keeps a few samples, and the same figures", () => {
  let now = 0;
  const meter = new ProgressMeter(10_000 * MB, 3000, () => now);
  let rate = meter.update(0);
  // 100 seconds at 600 MB/s in 64 KiB reads: one update every 0.11 ms.
  const read = 65_536;
  for (let done = read; done <= 60_000 * MB; done += read) {
    now = done / (600 * MB) * 1000;
    rate = meter.update(done);
  }
  assertEquals(meter.samples <= 3000 / SAMPLE_EVERY_MS + 2, true, `${meter.samples} samples`);
  assertEquals(Math.round(rate.speed_bps! / MB), 600);
});

Deno.test("whole-pull progress adds the files' bytes, as they download side by side", () => {
  let now = 0;
  const sent: PullProgress[] = [];
  const total = new TotalProgress(
    [{ path: "a", repoPath: "a", size: 100 }, { path: "b", repoPath: "b", size: 900 }],
    (p) => sent.push(p),
    () => now,
  );
  total.report({ stage: "downloading", file: "b", bytes_done: 200, bytes_total: 900 });
  total.report({ stage: "downloading", file: "a", bytes_done: 100, bytes_total: 100 });
  now = 1000;
  total.report({ stage: "downloading", file: "b", bytes_done: 400, bytes_total: 900 });
  assertEquals(sent.map((p) => p.total_done), [200, 300, 500]);
  assertEquals(sent.at(-1), {
    stage: "downloading",
    file: "b",
    bytes_done: 400,
    bytes_total: 900,
    total_done: 500,
    total_bytes: 1000,
    speed_bps: 300, // 300 bytes in the second since the first report
    eta_s: 2,
  });
  // A file that starts over (its part was longer than the hub's file) counts from zero again.
  total.report({ stage: "downloading", file: "b", bytes_done: 0, bytes_total: 900 });
  assertEquals(sent.at(-1)!.total_done, 100);
});
