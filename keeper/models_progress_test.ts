import { assertEquals, assertTrue } from "../shared/testing.ts";
import { barLine, barWidthFor, PlainThrottle } from "./models_progress.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { HALFWAY } from "../tests/support/pull_progress.ts";

Deno.test("the bar fills with the total and fits the terminal", () => {
  const line = barLine(HALFWAY, 80);
  assertTrue(line.length <= 80, line);
  const bar = /\[(#*)(-*)\]/.exec(line)!;
  assertTrue(Math.abs(bar[1].length - bar[2].length) <= 1, line);
  assertTrue(line.includes(" 50% "));
  assertTrue(barLine({ ...HALFWAY, total_done: 100_000_000 }).includes("100%"));
});

Deno.test("plain lines come at a new stage, else every interval, for each hive", () => {
  const t = new PlainThrottle(1000);
  assertEquals([
    t.shouldPrint(HALFWAY, 0),
    t.shouldPrint(HALFWAY, 500),
    // Files download side by side: another file's bytes wait their turn too.
    t.shouldPrint({ ...HALFWAY, file: "tok.bin" }, 600),
    t.shouldPrint({ ...HALFWAY, stage: "verifying" }, 700),
    t.shouldPrint({ ...HALFWAY, file: "tok.bin" }, 800),
    t.shouldPrint({ ...HALFWAY, file: "tok.bin" }, 1900),
    // Each hive has its own pace.
    t.shouldPrint({ ...HALFWAY, hive: "gpu1" }, 1950),
  ], [true, false, false, true, true, true, true]);
});

Deno.test("a terminal that reports no size gets 80-column lines, not lines cut by one", () => {
  assertEquals([barWidthFor(0), barWidthFor(1), barWidthFor(120)], [80, 80, 119]);
  // Under `script`, consoleSize() said 0 columns: "ready" came out as "read".
  assertEquals(barLine({ hive: "local", stage: "ready" }, barWidthFor(0)), "[local] ready");
});

Deno.test("the bar shows the pull's stage: a file verified while others download is still downloading", () => {
  const small = { ...HALFWAY, stage: "verifying" as const, file: "config.json" };
  assertTrue(barLine(small, 80).startsWith("downloading ["), barLine(small, 80));
  const last = { ...small, total_done: small.total_bytes };
  assertTrue(barLine(last, 80).startsWith("verifying ["), barLine(last, 80));
});

Deno.test("the bar keeps its length while the figures change", () => {
  const bar = (p: PullProgressEvent) => /\[[#-]+\]/.exec(barLine(p, 100))![0].length;
  const { speed_bps: _speed, eta_s: _eta, ...start } = { ...HALFWAY, total_done: 0 };
  const late = { ...HALFWAY, total_done: 99_000_000, speed_bps: 123_000_000, eta_s: 3599 };
  assertEquals(bar(start), bar(HALFWAY));
  assertEquals(bar(late), bar(HALFWAY));
});

Deno.test("on a narrow terminal the figures win over the padding", () => {
  assertTrue(barLine(HALFWAY, 64).trimEnd().endsWith("ETA 20s"), barLine(HALFWAY, 64));
});
