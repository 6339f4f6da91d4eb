/**
 * For scripts run on rbee's build machines, where the Hugging Face hub is not
 * reachable but ../shared/hf-mirror holds the default model's repository:
 * serve that copy on 127.0.0.1 in the hub's protocol and point HF_ENDPOINT at
 * it. Where HF_ENDPOINT is set, or the mirror is absent, nothing changes.
 */
import { hfMirrorDir, startFakeHub } from "../tests/support/fake_hub.ts";

/** The environment to add for the hub, and how to stop the local server. */
export interface HubSetup {
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the local mirror when it is needed; says so on stderr. */
export async function hubForScripts(): Promise<HubSetup> {
  const mirrorDir = hfMirrorDir();
  if (Deno.env.get("HF_ENDPOINT") || !mirrorDir) return { env: {}, close: async () => {} };
  const hub = await startFakeHub({ root: mirrorDir });
  console.error(`Serving the model repository from ${mirrorDir} at ${hub.url} (HF_ENDPOINT)`);
  return { env: { HF_ENDPOINT: hub.url }, close: () => hub.close() };
}
