/**
 * The resumable, verified download of one hub file.
 *
 *     dest.part   grows across attempts, and across restarts of the hive, through HTTP Range
 *     dest        appears (by rename) only once its size and sha256 match the hub's
 *
 * A dropped connection or a 5xx is retried with exponential backoff; an attempt that
 * receives no byte for `stallMs` ends as stalled (and is retried too). Nothing
 * unverified is ever renamed into place: a sha256 mismatch deletes the bytes.
 */
import { dirname } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { formatModelRef, type HfModelRef } from "../../shared/model_ref.ts";
import { type Hub, type HubFile, hubGet, resolveUrl, unreachable } from "./hub_client.ts";
import { readBlocks } from "./block_reader.ts";
import { openPartWriter, type PartWriter, THREAD_FROM_BYTES, threadDefault } from "./part_writer.ts";
import { DiskError, isDiskFull, onDisk } from "./disk_write.ts";
import { Watchdog } from "./stall_watchdog.ts";

/** How hard a download tries. */
export interface DownloadSettings {
  /** Attempts per file before giving up. */
  attempts: number;
  /** An attempt that receives no byte for this long is stalled. */
  stallMs: number;
  /** Delay before the first retry; it doubles per attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Files of at least this many bytes are hashed and written on a thread of their own; null: none are. */
  threadFromBytes: number | null;
}

/** Defaults: five attempts, 30 s without a byte is a stall, a thread per big file where cores allow. */
export const DEFAULT_DOWNLOAD_SETTINGS: DownloadSettings = {
  attempts: 5,
  stallMs: 30_000,
  backoffMs: 500,
  maxBackoffMs: 10_000,
  threadFromBytes: threadDefault(navigator.hardwareConcurrency),
};

/** Progress of one download, reported per chunk; `bytes_done` counts resumed bytes too. */
export interface DownloadProgress {
  stage: "downloading" | "verifying";
  bytes_done: number;
  bytes_total: number;
}

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Called before each retry, with the error that ended the attempt. */
  onRetry?: (info: { attempt: number; delayMs: number; error: RbeeError }) => void;
  settings?: DownloadSettings;
}

/**
 * Reads `RBEE_DOWNLOAD_STALL_MS`, `RBEE_DOWNLOAD_ATTEMPTS`, `RBEE_DOWNLOAD_BACKOFF_MS` and
 * `RBEE_DOWNLOAD_THREAD` (auto, on or off: whether big files are hashed and written on a thread
 * of their own). Pure.
 */
export function downloadSettingsFromEnv(env: Record<string, string | undefined>): DownloadSettings {
  const int = (name: string, fallback: number, min: number) => {
    const text = env[name]?.trim();
    if (!text) return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new RbeeError("VALIDATION_ERROR", `${name} must be an integer of at least ${min}, got '${text}'`);
    }
    return n;
  };
  const d = DEFAULT_DOWNLOAD_SETTINGS;
  return {
    attempts: int("RBEE_DOWNLOAD_ATTEMPTS", d.attempts, 1),
    stallMs: int("RBEE_DOWNLOAD_STALL_MS", d.stallMs, 1),
    backoffMs: int("RBEE_DOWNLOAD_BACKOFF_MS", d.backoffMs, 0),
    maxBackoffMs: d.maxBackoffMs,
    threadFromBytes: downloadThread(env.RBEE_DOWNLOAD_THREAD, d.threadFromBytes),
  };
}

function downloadThread(text: string | undefined, auto: number | null): number | null {
  switch (text?.trim().toLowerCase() || "auto") {
    case "auto":
      return auto;
    case "on":
      return THREAD_FROM_BYTES;
    case "off":
      return null;
    default:
      throw new RbeeError(
        "VALIDATION_ERROR",
        `RBEE_DOWNLOAD_THREAD must be auto, on or off, got '${text}'`,
      );
  }
}

/** The delay after failed attempt number `attempt` (1-based): exponential, capped. */
export function retryDelay(attempt: number, s: DownloadSettings): number {
  return Math.min(s.maxBackoffMs, s.backoffMs * 2 ** (attempt - 1));
}

/** Whether another attempt may succeed: lost connections, stalls, 429 and 5xx answers. */
export function isRetryable(err: unknown): err is RbeeError {
  if (!(err instanceof RbeeError)) return false;
  if (err.code === "HUB_UNREACHABLE" || err.code === "DOWNLOAD_STALLED") return true;
  const status = err.details?.status;
  return err.code === "HUB_ERROR" && (typeof status !== "number" || status === 429 || status >= 500);
}

/** Downloads `file` to `dest`, resuming `dest.part`, retrying, and verifying its size and sha256. */
export async function downloadFile(
  hub: Hub,
  ref: HfModelRef,
  commit: string,
  file: HubFile,
  dest: string,
  opts: DownloadOptions = {},
): Promise<void> {
  const settings = opts.settings ?? DEFAULT_DOWNLOAD_SETTINGS;
  // Only a verified file is ever renamed to `dest`, so one of the right size is done.
  if ((await sizeOf(dest)) === file.size) return;
  await Deno.mkdir(dirname(dest), { recursive: true });
  for (let attempt = 1;; attempt++) {
    try {
      return await attemptDownload(hub, ref, commit, file, dest, opts, settings);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!isRetryable(err)) throw err;
      if (attempt >= settings.attempts) {
        throw new RbeeError(err.code, `${err.message} (gave up after ${attempt} attempts)`, {
          ...err.details,
          attempts: attempt,
        });
      }
      const delayMs = retryDelay(attempt, settings);
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, opts.signal);
    }
  }
}

async function attemptDownload(
  hub: Hub,
  ref: HfModelRef,
  commit: string,
  file: HubFile,
  dest: string,
  opts: DownloadOptions,
  settings: DownloadSettings,
): Promise<void> {
  const part = `${dest}.part`;
  const where = { ref: formatModelRef(ref), file: file.path };
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > file.size) offset = await restart(part);
  const watchdog = new Watchdog(settings.stallMs, where, opts.signal);
  const open = (at: number) => openPartWriter(part, at, file.size, settings.threadFromBytes);
  let writer: PartWriter | null = null;
  let linkedEtag: string | null = null;
  let sha256: string;
  try {
    if (offset < file.size || file.size === 0) {
      const url = resolveUrl(hub, ref, commit, file.repoPath);
      const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      const res = await hubGet(hub, url, ref, file.path, watchdog.signal, range).catch(async (err) => {
        // The part is longer than the file the hub now serves: start over.
        if (err instanceof RbeeError && err.details?.status === 416) await restart(part);
        throw err;
      });
      linkedEtag = res.headers.get("x-linked-etag");
      // A server that ignores Range answers 200 with the whole file: start over.
      if (offset > 0 && !resumes(res, offset)) offset = await restart(part);
      writer = await open(offset);
      if (offset > 0) await hashPart(part, writer);
      offset = await receive(res, writer, offset, file, opts, watchdog);
    } else {
      writer = await open(offset);
      await hashPart(part, writer);
    }
    sha256 = await writer.finish();
  } catch (err) {
    writer?.abort();
    if (watchdog.stalled) throw watchdog.stallError(offset);
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof RbeeError) throw err;
    if (err instanceof DiskError) throw diskFailure(err.cause, where);
    throw unreachable(hub.endpoint, "the connection was lost during the download");
  } finally {
    watchdog.dispose();
  }
  opts.onProgress?.({ stage: "verifying", bytes_done: offset, bytes_total: file.size });
  const problem = checkDownload(file, { size: offset, sha256 }, linkedEtag);
  if (problem) {
    await Deno.remove(part).catch(() => {});
    throw new RbeeError(
      "CHECKSUM_MISMATCH",
      `Download of '${file.path}' for '${where.ref}' is corrupt: ${problem}`,
      where,
    );
  }
  await Deno.rename(part, dest);
}

/** Why a finished download does not match the listing (or the hub's X-Linked-Etag), or null. */
export function checkDownload(
  file: HubFile,
  got: { size: number; sha256: string },
  linkedEtag: string | null = null,
): string | null {
  if (got.size !== file.size) return `received ${got.size} bytes, the hub listed ${file.size}`;
  const etag = linkedEtag?.replace(/^(W\/)?"|"$/g, "");
  const expected = file.sha256 ?? (etag && /^[0-9a-f]{64}$/.test(etag) ? etag : undefined);
  if (expected && got.sha256 !== expected) {
    return `sha256 '${got.sha256}' does not match the hub's '${expected}'`;
  }
  return null;
}

/** Streams the body into the part (after its first `offset` bytes); returns the part's size. */
async function receive(
  res: Response,
  writer: PartWriter,
  offset: number,
  file: HubFile,
  opts: DownloadOptions,
  watchdog: Watchdog,
): Promise<number> {
  let done = offset;
  // What arrived before a failure is still written: the next attempt resumes after it.
  // Blocks in shared memory: a writer thread reads them where they are.
  await readBlocks(res.body ?? ReadableStream.from([]), {
    received(bytes) {
      watchdog.kick();
      done += bytes;
      if (done > file.size) {
        throw new RbeeError("CHECKSUM_MISMATCH", `Download of '${file.path}' is longer than the hub listed`);
      }
      opts.onProgress?.({ stage: "downloading", bytes_done: done, bytes_total: file.size });
    },
    block: (bytes) => writer.append(bytes),
  }, { shared: true });
  if (done < file.size) {
    throw new RbeeError(
      "HUB_UNREACHABLE",
      `The model hub closed the connection after ${done} of ${file.size} bytes of '${file.path}'`,
      { file: file.path, bytes_done: done },
    );
  }
  return done;
}

/** A failed disk operation, as the user should see it: a full disk is INSUFFICIENT_DISK, and resumable. */
function diskFailure(cause: unknown, where: { ref: string; file: string }): RbeeError {
  if (isDiskFull(cause)) {
    return new RbeeError(
      "INSUFFICIENT_DISK",
      `The disk filled up while downloading '${where.file}' for '${where.ref}'; ` +
        `free some space and pull again: the download resumes where it stopped`,
      where,
    );
  }
  // Only the OS's words ("Permission denied (os error 13)"): Deno appends the path, which stays here.
  const message = cause instanceof Error ? cause.message : String(cause);
  const reason = /^.*?\(os error \d+\)/.exec(message)?.[0] ?? "the operating system refused";
  return new RbeeError(
    "INTERNAL",
    `Cannot store '${where.file}' for '${where.ref}' on disk: ${reason}`,
    where,
  );
}

function resumes(res: Response, offset: number): boolean {
  return res.status === 206 && (res.headers.get("content-range") ?? "").startsWith(`bytes ${offset}-`);
}

async function restart(part: string): Promise<0> {
  await Deno.remove(part).catch(() => {});
  return 0;
}

/** Hashes what a part already holds, for a download that resumes after it. */
async function hashPart(path: string, writer: PartWriter): Promise<void> {
  // The readable closes the file when it ends.
  await onDisk(async () =>
    await readBlocks((await Deno.open(path)).readable, {
      received() {},
      block: (bytes) => writer.hashOnly(bytes),
    }, { shared: true })
  );
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => (clearTimeout(timer), signal?.removeEventListener("abort", onAbort), resolve());
    const onAbort = () => (clearTimeout(timer), reject(signal!.reason));
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
