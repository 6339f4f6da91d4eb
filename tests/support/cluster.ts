/**
 * Starting rbee's real processes for cross-process tests: a hub (the local
 * mirror served like the Hugging Face hub, or the real hub where the mirror is
 * absent), a temporary RBEE_HOME, and a queen launched exactly as `deno task
 * queen` launches it, with its whole log captured.
 */
import { type DaemonChild, startDaemonChild } from "../../shared/child.ts";
import { roleCommand } from "../../shared/permissions.ts";
import { type FakeHub, hfMirrorDir, startFakeHub } from "./fake_hub.ts";
import { descendants, pidsMentioning, secretsOf, waitGone } from "./processes.ts";

/** A test's world: a hub, a home folder, and the environment pointing at them. */
export interface TestWorld {
  home: string;
  hub: FakeHub | null;
  env: Record<string, string>;
  /** Stops the hub, checks nothing mentioning the home is left running, removes the home. */
  close(): Promise<void>;
}

/** Creates a temporary RBEE_HOME and a hub serving the mirror (or the real hub when absent). */
export async function createWorld(): Promise<TestWorld> {
  const home = await Deno.makeTempDir({ prefix: "rbee-test-" });
  const mirror = hfMirrorDir();
  const hub = mirror ? await startFakeHub({ root: mirror }) : null;
  const env: Record<string, string> = { RBEE_HOME: home, RBEE_LOG_LEVEL: "info" };
  if (hub) env.HF_ENDPOINT = hub.url;
  return {
    home,
    hub,
    env,
    close: async () => {
      await hub?.close();
      const left = await waitGone(pidsMentioning(home), 10_000);
      for (const pid of left) Deno.kill(pid, "SIGKILL");
      await Deno.remove(home, { recursive: true });
      if (left.length) throw new Error(`Processes left running after the test: ${left.join(", ")}`);
    },
  };
}

/** A queen started like `deno task queen`, with a local hive on a free port, and its log lines. */
export interface TestQueen {
  url: string;
  child: DaemonChild;
  log: string[];
  stop(): Promise<void>;
}

/** Starts a persistent queen (and through it a hive) in `world`. */
export async function startQueen(world: TestWorld, extraArgs: string[] = []): Promise<TestQueen> {
  const { command, args } = roleCommand("queen");
  const log: string[] = [];
  const child = await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--hive-port", "0", "--home", world.home, ...extraArgs],
    env: world.env,
    name: "Queen",
    onStderrLine: (line) => log.push(line),
    readyTimeoutMs: 60_000,
  });
  return {
    url: child.url,
    child,
    log,
    stop: async () => {
      await child.stop(40_000);
    },
  };
}

/**
 * Runs `fn` against a fresh world and queen (`prepare` may adjust the world
 * and return extra queen arguments); prints the queen's log when it fails,
 * and checks that stopping the queen leaves none of its tree behind.
 */
export async function withQueen(
  fn: (queen: TestQueen, world: TestWorld) => Promise<void>,
  prepare: (world: TestWorld) => Promise<string[]> = () => Promise.resolve([]),
): Promise<void> {
  const world = await createWorld();
  let queen: TestQueen | null = null;
  let left: number[] = [];
  let leaked: string[] = [];
  let secretCount = -1;
  try {
    queen = await startQueen(world, await prepare(world));
    await fn(queen, world);
  } catch (err) {
    if (queen) console.error(queen.log.slice(-30).join("\n"));
    throw err;
  } finally {
    if (queen) {
      const tree = [queen.child.pid, ...descendants(queen.child.pid)];
      // Every token in the tree (the queen's, the hive's it generated, each worker's) …
      const secrets = secretsOf(tree);
      secretCount = secrets.length;
      await queen.stop();
      left = await waitGone(tree.slice(1));
      // … must appear in no log line the whole tree wrote, nor in its audit files.
      const written = queen.log.join("\n") + auditText(world.env.RBEE_AUDIT_DIR);
      leaked = secrets.filter((s) => written.includes(s));
    }
    await world.close();
  }
  if (left.length) throw new Error(`Processes outlived the queen: ${left.join(", ")}`);
  if (leaked.length) throw new Error(`${leaked.length} token(s) appeared in logs or audit records`);
  // The queen always gives its hive a token: finding none means the scan looked nowhere.
  if (secretCount === 0) throw new Error("No token found in the process tree to scan the logs for");
}

function auditText(dir: string | undefined): string {
  if (!dir) return "";
  try {
    return [...Deno.readDirSync(dir)].map((e) => Deno.readTextFileSync(`${dir}/${e.name}`)).join("\n");
  } catch {
    return "";
  }
}

/** Waits for a line of the queen's log (which includes its hive's and workers' logs) to match. */
export async function waitForLog(queen: TestQueen, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = queen.log.find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`No log line matching ${pattern}`);
}

/** Starts a hive on its own (no queen), like `deno task hive`, requiring `token`. */
export async function startHiveWithToken(world: TestWorld, token: string): Promise<DaemonChild> {
  const { command, args } = roleCommand("hive");
  return await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--home", world.home],
    env: { ...world.env, RBEE_TOKEN: token },
    name: "Hive",
  });
}

/** Runs `rbee` (as `deno task rbee` does) to completion. */
export async function runRbee(world: TestWorld, args: string[], extraEnv: Record<string, string> = {}) {
  const { command, args: base } = roleCommand("keeper");
  const out = await new Deno.Command(command, {
    args: [...base, ...args],
    env: { ...world.env, ...extraEnv },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The greedy continuation of `Once upon a time` by stories260K, from llama2.c's reference. */
export const REFERENCE_STORY = ", there was a little girl named Lily. She loved to play outside in the park.";
