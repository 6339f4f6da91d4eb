/// <reference lib="deno.worker" />
/**
 * The thread behind running_sha256.ts: one running sha256 per worker. Each
 * message is a view of shared memory to add (answered with null once added) or null to
 * finish (answered with the hex digest).
 */
import { createHash } from "node:crypto";

const hash = createHash("sha256");
self.onmessage = ({ data }: MessageEvent<Uint8Array | null>) => {
  if (data) {
    hash.update(data);
    self.postMessage(null);
  } else {
    self.postMessage(hash.digest("hex"));
  }
};
