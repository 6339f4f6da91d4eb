import { assertEquals } from "./testing.ts";
import { formatBytes, formatDuration } from "./format.ts";
import { progressLine } from "./pull_progress_text.ts";
import { HALFWAY } from "../tests/support/pull_progress.ts";

Deno.test("figures read like a person would write them", () => {
  assertEquals([formatBytes(512), formatBytes(1_500_000), formatBytes(2_345_000_000)], [
    "512 B",
    "1.5 MB",
    "2.3 GB",
  ]);
  assertEquals([formatDuration(42), formatDuration(185), formatDuration(3720)], ["42s", "3m05s", "1h02m"]);
});

Deno.test("a progress line has the stage, file, percentage, speed and time left", () => {
  assertEquals(progressLine(HALFWAY), "downloading model.bin 50% 50 MB / 100 MB 2.5 MB/s ETA 20s");
  assertEquals(progressLine({ stage: "importing" }), "importing");
  assertEquals(progressLine({ stage: "ready", hive: "gpu1" }), "[gpu1] ready");
});
