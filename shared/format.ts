/**
 * Human-readable figures shared by the CLI and the daemons' messages.
 */

/** Bytes as a short human figure: 512 B, 1.5 MB, 2.3 GB (decimal units). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n / 1000;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(s: number): string {
  const sec = Math.max(0, Math.round(s));
  if (sec >= 3600) {
    return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (sec >= 60) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, "0")}s`;
  return `${sec}s`;
}
