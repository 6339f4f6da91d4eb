/// <reference lib="deno.worker" />
/**
 * The thread behind part_writer.ts: it hashes a download's blocks and appends them to its
 * part file, so that the reading thread only reads. Requests come in order and each gets
 * one answer: `{}`, `{ digest }` or, once anything failed, `{ error }` for it and every
 * later request (a block written after a failed one would leave a gap in the file).
 */
import { createHash } from "node:crypto";
import { WRITE_PIECE } from "./disk_write.ts";

export type PartWriterRequest =
  | { open: string; append: boolean }
  | { bytes: Uint8Array; write: boolean }
  | { finish: true };

export type PartWriterAnswer =
  | { digest?: string }
  | { error: { name: string; message: string; code?: string } };

const hash = createHash("sha256");
let part: Deno.FsFile | null = null;
let failure: PartWriterAnswer | null = null;

self.onmessage = ({ data }: MessageEvent<PartWriterRequest>) => {
  if (failure) return self.postMessage(failure);
  try {
    self.postMessage(handle(data));
  } catch (err) {
    const { name, message, code } = err as Error & { code?: string };
    failure = { error: { name, message, code } };
    self.postMessage(failure);
  }
};

function handle(request: PartWriterRequest): PartWriterAnswer {
  if ("open" in request) {
    part = Deno.openSync(request.open, {
      write: true,
      create: true,
      append: request.append,
      truncate: !request.append,
    });
  } else if ("bytes" in request) {
    hash.update(request.bytes);
    if (request.write) writeAll(request.bytes);
  } else {
    part?.close();
    part = null;
    return { digest: hash.digest("hex") };
  }
  return {};
}

function writeAll(bytes: Uint8Array): void {
  if (!part) throw new Error("The part file is not open");
  for (let at = 0; at < bytes.length;) {
    at += part.writeSync(bytes.subarray(at, Math.min(bytes.length, at + WRITE_PIECE)));
  }
}
