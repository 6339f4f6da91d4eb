/**
 * How `rbee workers list` shows the cluster's workers: one aligned row per
 * worker, then a note for each one that failed or waits to restart. Pure.
 */
import type { ClusterWorker } from "../shared/contracts/supervision.ts";
import { formatDuration } from "../shared/format.ts";
import { alignColumns } from "./text_columns.ts";

const HEADER = [
  "ID",
  "HIVE",
  "MODEL",
  "BACKEND",
  "STATE",
  "PID",
  "PORT",
  "SLOTS",
  "RESTARTS",
  "BREAKER",
  "HEARTBEAT",
  "STARTED",
];

/** How long ago `iso` was, at `now` (ms): `42s ago`, `3m05s ago`; `never` when absent. */
export function ago(iso: string | null | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(at) ? "never" : `${formatDuration((now - at) / 1000)} ago`;
}

/** A breaker in a few characters: its state, and its recent failures when there are any. */
export function breakerCell(b: ClusterWorker["breaker"]): string {
  return b.failures ? `${b.state} (${b.failures})` : b.state;
}

function row(w: ClusterWorker, now: number): string[] {
  return [
    w.id,
    w.hive,
    w.model,
    `${w.backend}:${w.device}`,
    w.state,
    w.pid === null ? "-" : String(w.pid),
    w.port === null ? "-" : String(w.port),
    `${w.active}/${w.slots}`,
    String(w.restart_count),
    breakerCell(w.breaker),
    ago(w.last_heartbeat, now),
    ago(w.started_at, now),
  ];
}

/** Why a worker is not serving, when it says: its error, and when it restarts. */
function note(w: ClusterWorker, now: number): string | null {
  const parts: string[] = [];
  if (w.error && (w.state === "failed" || w.next_restart_at)) {
    parts.push(`${w.error.code}: ${w.error.message}`);
  }
  if (w.next_restart_at) {
    parts.push(`restarts in ${formatDuration((Date.parse(w.next_restart_at) - now) / 1000)}`);
  }
  if (w.breaker.retry_at) parts.push(`breaker open until ${w.breaker.retry_at}`);
  return parts.length ? `${w.id}: ${parts.join("; ")}` : null;
}

/** The `workers list` table (header included), then notes on failed workers. */
export function workerTable(workers: ClusterWorker[], now: number): string {
  const rows = [HEADER, ...workers.map((w) => row(w, now))];
  const lines = alignColumns(rows);
  const notes = workers.map((w) => note(w, now)).filter((n) => n !== null);
  return [...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}
