/** The download's pure decisions: settings from the environment, retries, verification. */
import { RbeeError } from "../../shared/errors.ts";
import { assertEquals, assertStringIncludes, assertThrows, assertTrue } from "../../shared/testing.ts";
import { checkDownload, downloadSettingsFromEnv, isRetryable, retryDelay } from "./download.ts";
import { THREAD_FROM_BYTES, threadDefault } from "./part_writer.ts";

Deno.test("downloadSettingsFromEnv reads the stall time and attempts, refusing nonsense", () => {
  assertEquals(downloadSettingsFromEnv({}).stallMs, 30_000);
  const s = downloadSettingsFromEnv({ RBEE_DOWNLOAD_STALL_MS: "250", RBEE_DOWNLOAD_ATTEMPTS: "2" });
  assertEquals([s.stallMs, s.attempts], [250, 2]);
  let err: unknown = null;
  try {
    downloadSettingsFromEnv({ RBEE_DOWNLOAD_STALL_MS: "soon" });
  } catch (e) {
    err = e;
  }
  assertTrue(err instanceof RbeeError && err.message.includes("'soon'"));
});

Deno.test("RBEE_DOWNLOAD_THREAD turns the thread for big files on or off; auto asks the cores", () => {
  const from = (value?: string) => downloadSettingsFromEnv({ RBEE_DOWNLOAD_THREAD: value }).threadFromBytes;
  assertEquals([from("on"), from(" OFF "), from()], [THREAD_FROM_BYTES, null, from("auto")]);
  assertEquals(from("auto"), threadDefault(navigator.hardwareConcurrency));
  const err = assertThrows(() => from("sometimes"), RbeeError);
  assertEquals(err.code, "VALIDATION_ERROR");
  assertStringIncludes(err.message, "auto, on or off, got 'sometimes'");
});

Deno.test("retries back off exponentially up to a cap", () => {
  const s = { attempts: 9, stallMs: 1, backoffMs: 500, maxBackoffMs: 3000, threadFromBytes: null };
  assertEquals([1, 2, 3, 4, 5].map((n) => retryDelay(n, s)), [500, 1000, 2000, 3000, 3000]);
});

Deno.test("only transient failures are retried", () => {
  const e = (code: "HUB_ERROR" | "MODEL_NOT_FOUND", status?: number) =>
    new RbeeError(code, "x", status ? { status } : undefined);
  assertEquals(
    [
      isRetryable(new RbeeError("HUB_UNREACHABLE", "x")),
      isRetryable(new RbeeError("DOWNLOAD_STALLED", "x")),
      isRetryable(e("HUB_ERROR", 503)),
      isRetryable(e("HUB_ERROR", 429)),
      isRetryable(e("MODEL_NOT_FOUND", 404)),
      isRetryable(new RbeeError("CHECKSUM_MISMATCH", "x")),
      isRetryable(new Error("bug")),
    ],
    [true, true, true, true, false, false, false],
  );
});

Deno.test("checkDownload reports a wrong size or sha256, also against X-Linked-Etag", () => {
  const file = { path: "m.bin", repoPath: "m.bin", size: 3, sha256: "a".repeat(64) };
  assertEquals(checkDownload(file, { size: 3, sha256: "a".repeat(64) }), null);
  assertStringIncludes(checkDownload(file, { size: 2, sha256: "a".repeat(64) })!, "received 2 bytes");
  assertStringIncludes(checkDownload(file, { size: 3, sha256: "b".repeat(64) })!, "does not match");
  const unlisted = { ...file, sha256: undefined };
  assertEquals(checkDownload(unlisted, { size: 3, sha256: "c".repeat(64) }), null);
  const etag = `"${"d".repeat(64)}"`;
  assertStringIncludes(checkDownload(unlisted, { size: 3, sha256: "c".repeat(64) }, etag)!, "d".repeat(64));
});
