/**
 * Free space where models land, checked before a download so that a pull
 * refuses up front instead of failing halfway.
 *
 * Test hook: `RBEE_TEST_FREE_BYTES` replaces the measured figure (tests cannot
 * fill a real disk); nothing else reads it.
 */
import { formatBytes } from "../../shared/format.ts";
import { statfs } from "node:fs/promises";
import { RbeeError } from "../../shared/errors.ts";

/** Bytes free for an unprivileged writer on the filesystem holding `dir` (an existing folder). */
export async function freeBytes(dir: string, env: Record<string, string | undefined> = {}): Promise<number> {
  const fake = env.RBEE_TEST_FREE_BYTES?.trim();
  if (fake && Number.isSafeInteger(Number(fake))) return Number(fake);
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** Throws `INSUFFICIENT_DISK` (needed vs free) when `needed` bytes do not fit in `free`. Pure. */
export function checkDiskSpace(needed: number, free: number, refText: string): void {
  if (needed <= free) return;
  throw new RbeeError(
    "INSUFFICIENT_DISK",
    `Not enough disk space to pull '${refText}': needs ${formatBytes(needed)}, ${formatBytes(free)} free`,
    { ref: refText, needed_bytes: needed, free_bytes: free },
  );
}
