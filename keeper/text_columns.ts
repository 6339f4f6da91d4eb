/** Plain-text tables for the CLI; pure. */

/** The rows as lines, each column padded to its widest cell, two spaces apart; no trailing blanks. */
export function alignColumns(rows: string[][]): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}
