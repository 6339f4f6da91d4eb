/**
 * How `rbee models pull` shows a pull: a progress bar redrawn in place on a
 * terminal, plain lines every few seconds otherwise (logs, CI). Pure text functions.
 */
import { formatBytes } from "../shared/format.ts";
import type { PullProgressEvent } from "../shared/contracts/inference.ts";

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(s: number): string {
  const sec = Math.max(0, Math.round(s));
  if (sec >= 3600) {
    return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (sec >= 60) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, "0")}s`;
  return `${sec}s`;
}

/** The figures after the bar: `12.0 MB / 50.0 MB  3.1 MB/s  ETA 12s`. */
function figures(p: PullProgressEvent): string {
  const parts = [`${formatBytes(p.total_done ?? 0)} / ${formatBytes(p.total_bytes ?? 0)}`];
  if (p.speed_bps !== undefined) parts.push(`${formatBytes(p.speed_bps)}/s`);
  if (p.eta_s !== undefined) parts.push(`ETA ${formatDuration(p.eta_s)}`);
  return parts.join("  ");
}

/** One plain line for a log: stage, file, percentage and figures. */
export function plainLine(p: PullProgressEvent): string {
  const who = p.hive ? `[${p.hive}] ` : "";
  if (p.total_bytes) {
    const pct = Math.floor(((p.total_done ?? 0) / p.total_bytes) * 100);
    return `${who}${p.stage} ${p.file ?? ""} ${pct}% ${figures(p)}`.replace(/ +/g, " ").trim();
  }
  return `${who}${p.stage}${p.file ? ` ${p.file}` : ""}`;
}

/**
 * How wide a bar line may be on a terminal of `columns`: one less, so that the cursor never
 * wraps to a new line; 80 when the terminal does not say (a pseudo-terminal without a size,
 * as under `script` or some CI runners, reports 0).
 */
export function barWidthFor(columns: number): number {
  return columns > 1 ? columns - 1 : 80;
}

/** A bar line for a terminal `width` columns wide: `stage [#####-----]  42% figures`. */
export function barLine(p: PullProgressEvent, width = 80): string {
  if (!p.total_bytes) return plainLine(p).slice(0, width);
  const ratio = Math.min(1, (p.total_done ?? 0) / p.total_bytes);
  const tail = ` ${String(Math.floor(ratio * 100)).padStart(3)}% ${figures(p)}`;
  const head = `${p.hive ? `[${p.hive}] ` : ""}${pullStage(p)} `;
  const barWidth = Math.max(10, width - head.length - tail.length - 2);
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
