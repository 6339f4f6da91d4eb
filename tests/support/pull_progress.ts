/** Pull progress events for the tests of how progress is shown. */
import type { PullProgressEvent } from "../../shared/contracts/inference.ts";

/** Half of a 100 MB pull, at 2.5 MB/s. */
export const HALFWAY = {
  stage: "downloading",
  file: "model.bin",
  total_done: 50_000_000,
  total_bytes: 100_000_000,
  speed_bps: 2_500_000,
  eta_s: 20,
} as const satisfies PullProgressEvent;
