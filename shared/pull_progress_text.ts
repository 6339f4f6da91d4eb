/**
 * A model pull's progress as one line of text: for the CLI's plain output and for the
 * comment lines of OpenAI streams that wait for a pull. Pure.
 */
import { formatBytes, formatDuration } from "./format.ts";
import type { PullProgressEvent } from "./contracts/inference.ts";

/** The figures of a pull: `12 MB / 50 MB  3.1 MB/s  ETA 12s`. */
export function progressFigures(p: PullProgressEvent): string {
  const parts = [`${formatBytes(p.total_done ?? 0)} / ${formatBytes(p.total_bytes ?? 0)}`];
  if (p.speed_bps !== undefined) parts.push(`${formatBytes(p.speed_bps)}/s`);
  if (p.eta_s !== undefined) parts.push(`ETA ${formatDuration(p.eta_s)}`);
  return parts.join("  ");
}

/** `[hive] stage file 42% figures`, or `[hive] stage` before sizes are known. */
export function progressLine(p: PullProgressEvent): string {
  const who = p.hive ? `[${p.hive}] ` : "";
  if (p.total_bytes) {
    const pct = Math.floor(((p.total_done ?? 0) / p.total_bytes) * 100);
    return `${who}${p.stage} ${p.file ?? ""} ${pct}% ${progressFigures(p)}`.replace(/ +/g, " ").trim();
  }
  return `${who}${p.stage}${p.file ? ` ${p.file}` : ""}`;
}
