/**
 * How `rbee models pull` shows a pull: a progress bar redrawn in place on a
 * terminal, plain lines every few seconds otherwise (logs, CI). Pure text functions.
 */
import type { PullProgressEvent } from "../shared/contracts/inference.ts";
import { progressFigures, progressLine } from "../shared/pull_progress_text.ts";

/**
 * How wide a bar line may be on a terminal of `columns`: one less, so that the cursor never
 * wraps to a new line; 80 when the terminal does not say (a pseudo-terminal without a size,
 * as under `script` or some CI runners, reports 0).
 */
export function barWidthFor(columns: number): number {
  return columns > 1 ? columns - 1 : 80;
}

/** ` 100% 999 MB / 999 MB  999 MB/s  ETA 59m59s`: the figures after the bar, at their widest. */
const TAIL_WIDTH = 44;
const MIN_BAR = 10;

/** A bar line for a terminal `width` columns wide: `stage [#####-----]  42% figures`. */
export function barLine(p: PullProgressEvent, width = 80): string {
  if (!p.total_bytes) return progressLine(p).slice(0, width);
  const ratio = Math.min(1, (p.total_done ?? 0) / p.total_bytes);
  const head = `${p.hive ? `[${p.hive}] ` : ""}${pullStage(p)} `;
  const figures = ` ${String(Math.floor(ratio * 100)).padStart(3)}% ${progressFigures(p)}`;
  // Padded towards the widest usual figures, so that the bar keeps its length as they
  // change, but never so far that a narrow terminal loses figures to the padding.
  const room = width - head.length - 2 - MIN_BAR;
  const tail = figures.padEnd(Math.min(TAIL_WIDTH, Math.max(figures.length, room)));
  const barWidth = Math.max(MIN_BAR, width - head.length - tail.length - 2);
  const filled = Math.round(ratio * barWidth);
  return `${head}[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]${tail}`.slice(0, width);
}

/**
 * The stage of the whole pull, which the bar shows with its totals: a small file that is
 * verified while a big one still downloads is a file's stage, not the pull's.
 */
function pullStage(p: PullProgressEvent): PullProgressEvent["stage"] {
  const downloading = p.stage === "verifying" && (p.total_done ?? 0) < (p.total_bytes ?? 0);
  return downloading ? "downloading" : p.stage;
}

/**
 * Decides when a plain line is worth printing, for each hive on its own: a new stage at
 * once, else every `everyMs`. The file alone does not count: a model's files download
 * side by side, and a line per alternation would flood a log.
 */
export class PlainThrottle {
  readonly #lastByHive = new Map<string, { stage: string; at: number }>();
  constructor(readonly everyMs = 2000) {}

  /** True when `p`, seen at `now`, should be printed. */
  shouldPrint(p: PullProgressEvent, now: number): boolean {
    const hive = p.hive ?? "";
    const last = this.#lastByHive.get(hive);
    if (last && last.stage === p.stage && now - last.at < this.everyMs) return false;
    this.#lastByHive.set(hive, { stage: p.stage, at: now });
    return true;
  }
}
