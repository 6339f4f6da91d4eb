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
