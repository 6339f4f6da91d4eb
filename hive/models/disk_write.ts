/** Writing downloaded bytes to disk, with disk errors kept apart from network errors. */

/** A write to disk failed; kept apart so it is not mistaken for a network error. */
export class DiskError extends Error {
  constructor(override readonly cause: unknown) {
    super("disk write failed");
  }
}

/**
 * The largest single write. Linux sizes a file's page-cache folios by the write: 1 MiB
 * writes get 1 MiB folios, taken from the large free blocks that a virtual machine's
 * balloon hands back to the host when idle. Filling those costs the host's page faults:
 * on this project's 2-core VM, a download that started after a few idle seconds ran at
 * 250-330 MB/s with 1 MiB writes and 540-660 MB/s with 256 KiB writes (the syscalls saved
 * by larger writes were worth less than that).
 */
export const WRITE_PIECE = 256 * 1024;

/** Writes all of `bytes` (a write may take only part); throws a DiskError. */
export async function writeFully(out: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  try {
    for (let at = 0; at < bytes.length;) {
      at += await out.write(bytes.subarray(at, Math.min(bytes.length, at + WRITE_PIECE)));
    }
  } catch (err) {
    throw new DiskError(err);
  }
}
