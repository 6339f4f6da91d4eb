/**
 * A real hive process on its own (no queen) for model tests: a hub built by the
 * test, a temporary RBEE_HOME, the hive's log kept, and its model routes called
 * directly on loopback (a tokenless hive on loopback needs no token).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type DaemonChild, startDaemonChild } from "../../shared/child.ts";
import { roleCommand } from "../../shared/permissions.ts";
import { readSse } from "../../shared/sse.ts";
import type { FakeHub, MirrorFile } from "./fake_hub.ts";
import { pidsMentioning, waitGone } from "./processes.ts";

/** A test's hive world: a folder for the hub to serve, a home, and what runs in them. */
export interface HiveWorld {
  /** Folder for the test's hub repositories. */
  root: string;
  home: string;
  /** The hive's log lines (every hive started in this world). */
  log: string[];
  /** Set by the test; stopped (or its hub closed) afterwards. */
  hive: DaemonChild | null;
  hub: FakeHub | null;
}

/**
 * Runs `fn` in a fresh world; prints the hive's log when it fails, stops the hive
 * and the hub, and checks that nothing mentioning the home is left running.
 */
export async function withHiveWorld(fn: (world: HiveWorld) => Promise<void>): Promise<void> {
  const world: HiveWorld = {
    root: await Deno.makeTempDir({ prefix: "rbee-test-hub-" }),
    home: await Deno.makeTempDir({ prefix: "rbee-test-home-" }),
    log: [],
    hive: null,
    hub: null,
  };
  let left: number[] = [];
  try {
    await fn(world);
  } catch (err) {
    console.error(world.log.slice(-30).join("\n"));
    throw err;
  } finally {
    await world.hive?.stop(10_000);
    await world.hub?.close();
    left = await waitGone(pidsMentioning(world.home), 10_000);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    await Deno.remove(world.home, { recursive: true });
    await Deno.remove(world.root, { recursive: true });
  }
  if (left.length) throw new Error(`Processes left running after the test: ${left.join(", ")}`);
}

/** Starts `rbee-hive` as `deno task hive` would, on a free port, appending its log lines to `log`. */
export async function startHive(
  home: string,
  hubUrl: string,
  log: string[],
  env: Record<string, string> = {},
): Promise<DaemonChild> {
  const { command, args } = roleCommand("hive");
  return await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--home", home],
    env: { RBEE_HOME: home, HF_ENDPOINT: hubUrl, RBEE_LOG_LEVEL: "info", ...env },
    name: "Hive",
    onStderrLine: (line) => log.push(line),
    readyTimeoutMs: 60_000,
  });
}

/** How a pull on the hive ended: `done`, `error` with its data, or `cut` when the stream broke. */
export type PullOutcome = { event: "done" | "cut" } | {
  event: "error";
  error: { code: string; message: string };
};

/** `POST /v1/models/pull` on the hive, read to its end. */
export async function pullOnHive(
  hiveUrl: string,
  body: { model: string; dtype?: string },
): Promise<PullOutcome> {
  try {
    const res = await fetch(`${hiveUrl}/v1/models/pull`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    for await (const ev of readSse(res.body!)) {
      if (ev.event === "done") return { event: "done" };
      if (ev.event === "error") return { event: "error", error: JSON.parse(ev.data) };
    }
    return { event: "cut" };
  } catch {
    return { event: "cut" };
  }
}

/** Writes `contents` as a repository `repo` in the hub's resolve layout under `root`; LFS for `onnx/`. */
export async function writeRepo(
  root: string,
  repo: string,
  contents: Record<string, Uint8Array>,
): Promise<MirrorFile[]> {
  const files: MirrorFile[] = [];
  for (const [path, bytes] of Object.entries(contents)) {
    const file = join(root, ...repo.split("/"), "resolve", "main", ...path.split("/"));
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeFile(file, bytes);
    const lfs = path.startsWith("onnx/");
    files.push({ path, size: bytes.length, lfs, ...(lfs && { sha256: sha256(bytes) }) });
  }
  return files;
}

/** The sha256 of `bytes`, in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The names in a folder, sorted; none when it does not exist. */
export function entries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}
