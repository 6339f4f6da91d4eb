/**
 * `deno task bench:pull [MiB] [--link MB/s | --from-hub]`: a synthetic repository in the ONNX layout
 * whose graph is a large file (default 512 MiB, generated here) is served by a local hub
 * in another process which, as the Hugging Face hub does, redirects the large file's
 * download to a CDN: here bench_cdn.py (python3), which sends files with sendfile(2) and so
 * takes almost no CPU from the download, as a CDN on other machines takes none. It is
 * downloaded by:
 * - a real hive (`POST /v1/models/pull`: resolve, download, sha256, install), as users pull:
 *   one hive hashing and writing on the reading thread, one on a thread of its own;
 * - rbee's downloader alone, in this process (resume support, sha256, stall watchdog);
 * - `curl -o`, and `curl | tee | sha256sum` (the like-for-like download-and-verify).
 * It prints their speeds (best and median of 5 rounds), the CPU each spends per MiB (the
 * servers' too: where the machine has no idle core, that decides the speeds), the CPU of each
 * one's busiest thread (which bounds its speed where cores are idle) and peak memory.
 *
 * Target: at least 90% of curl's throughput, with memory independent of file size.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseArgs as parseCliArgs } from "node:util";
import { DEFAULT_DOWNLOAD_SETTINGS, downloadFile } from "../hive/models/download.ts";
import { hubFromEnv, listModelFiles } from "../hive/models/hub_client.ts";
import { type HfModelRef, parseModelRef } from "../shared/model_ref.ts";
import { type FaultHook, startFakeHub } from "../tests/support/fake_hub.ts";
import { writeSyntheticRepo } from "./synthetic_repo.ts";
import { pullOnHive, startHive } from "../tests/support/hive_process.ts";
import type { DaemonChild } from "../shared/child.ts";
import {
  busiestThreadSeconds,
  cpuSecondsOf,
  cpuSecondsOfSelf,
  memoryOf,
  timesSeconds,
  watchThreads,
} from "./process_stats.ts";

const COMMIT = "b".repeat(40);
const REPO = "bench/synthetic";
const MODEL = `hf:${REPO}`;
/** The large file: the graph of a transformers.js ONNX layout, so the hive accepts the repository. */
const GRAPH = "onnx/model.onnx";

if (Deno.args[0] === "--serve") {
  // Child mode: serve the folder's hub API, send the graph's downloads to the CDN, say where.
  const [root, cdnUrl] = Deno.args.slice(1);
  const hub = await startFakeHub({ root, faults: cdnUrl ? toCdn(cdnUrl) : undefined });
  console.log(hub.url);
  await new Promise(() => {});
}

const USAGE = `Usage: deno task bench:pull [MiB] [--link MB/s | --from-hub]

Pulls a synthetic model whose graph is MiB mebibytes (default 512) from a local hub through
two hives (hashing and writing on the reading thread; on a thread of its own), and downloads the graph with
rbee's downloader alone, curl and curl | tee | sha256sum, 5 rounds each. The hub redirects the
graph to a local CDN (python3 bench_cdn.py, sendfile), which takes almost no CPU from the
downloads, as a CDN on other machines takes none.
  --link MB/s   pace the CDN to that many MB/s per download, as a network link would
                (default: as fast as it can)
  --from-hub    let the hub (Deno) serve the graph itself, spending ~0.85 ms of this
                machine's CPU per MiB`;
const { mb, linkMBps, fromHub } = parseArgs(Deno.args);
const ROUNDS = 5;

/** One way of downloading the file. */
interface Contender {
  name: string;
  /**
   * Downloads once: bytes per second, the CPU seconds its own processes spent and, where
   * known, those of its busiest thread.
   */
  run(): Promise<Download>;
  /** Removes what `run` wrote, untimed. */
  cleanUp(): Promise<void>;
}

interface Download {
  speed: number;
  cpuSeconds: number;
  busiestThreadSeconds?: number;
}

/** One download's figures; CPU in ms per MiB. */
interface Round {
  speed: number;
  cpu: number;
  busiest?: number;
  serversCpu: number;
}

/** A thread that spends x ms per MiB moves at most MIB_MS_TO_MBPS / x MB/s. */
const MIB_MS_TO_MBPS = 1024 * 1024 / 1e6 * 1000;
const best = (xs: number[]) => Math.max(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const root = await Deno.makeTempDir({ prefix: "rbee-bench-pull-" });
const servers: Deno.ChildProcess[] = [];
const hives: DaemonChild[] = [];
const hiveLog: string[] = [];
try {
  const size = mb * 1024 * 1024;
  const files = await writeSyntheticRepo(join(root, ...REPO.split("/"), "resolve", "main"), GRAPH, size);
  const manifest = { repos: [{ id: REPO, commit: COMMIT, files }] };
  await Deno.writeTextFile(join(root, "MANIFEST.json"), JSON.stringify(manifest));
  const cdn = fromHub ? null : startServer("python3", [
    new URL("bench_cdn.py", import.meta.url).pathname,
    root,
    ...(linkMBps ? [`${linkMBps}`] : []),
  ]);
  const hubServer = startServer(Deno.execPath(), [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--serve",
    root,
    ...(cdn ? [await firstLine(cdn.stdout)] : []),
  ]);
  const url = await firstLine(hubServer.stdout);
  const hub = hubFromEnv({ HF_ENDPOINT: url });
  const ref = parseModelRef(MODEL) as HfModelRef;
  const file = (await listModelFiles(hub, ref, COMMIT)).find((f) => f.path === GRAPH)!;
  const fileUrl = `${url}/${REPO}/resolve/${COMMIT}/${GRAPH}`;
  const dest = join(root, "download.bin");
  // Real hives, started as `deno task hive` starts one (same permissions), each with its own home.
  const inlineHive = await startHive(join(root, "home-inline"), url, hiveLog, {
    RBEE_DOWNLOAD_THREAD: "off",
  });
  hives.push(inlineHive);
  const threadHive = await startHive(join(root, "home-thread"), url, hiveLog, {
    RBEE_DOWNLOAD_THREAD: "on",
  });
  hives.push(threadHive);
  const hiveRssBefore = memoryOf(inlineHive.pid).rss;
  let peakRss = 0;
  const rssBefore = memoryOf(Deno.pid).rss;
  const threadByDefault = DEFAULT_DOWNLOAD_SETTINGS.threadFromBytes !== null &&
    size >= DEFAULT_DOWNLOAD_SETTINGS.threadFromBytes;

  const contenders: Contender[] = [
    hivePull("rbee-hive pull, inline", inlineHive, size),
    hivePull("rbee-hive pull, on a thread", threadHive, size),
    {
      name: `rbee downloader alone, ${threadByDefault ? "thread" : "inline"} (default)`,
      async run() {
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(Deno.pid).rss)), 50);
        const cpu0 = cpuSecondsOfSelf();
        const threads = watchThreads(Deno.pid);
        const t0 = performance.now();
        await downloadFile(hub, ref, COMMIT, file, dest);
        const seconds = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        return {
          speed: size / seconds,
          cpuSeconds: cpuSecondsOfSelf() - cpu0,
          busiestThreadSeconds: busiestThreadSeconds(threads.start, threads.stop()),
        };
      },
      cleanUp: () => Deno.remove(dest),
    },
    { name: "curl -o", run: () => curlRun(fileUrl, dest, size), cleanUp: () => Deno.remove(dest) },
  ];
  // rbee verifies as it downloads: curl through sha256sum is the like-for-like pipeline. It
  // runs after the others: whatever ran after it was slower (rbee's hive pulls by 20-30%).
  const reference: Contender = {
    name: "curl | tee | sha256sum",
    run: () => curlVerifyRun(fileUrl, dest, size),
    cleanUp: () => Deno.remove(dest),
  };
  const rounds = new Map<Contender, Round[]>([...contenders, reference].map((c) => [c, []]));
  const schedule: Contender[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another contender, so that none is always first.
    for (let i = 0; i < contenders.length; i++) schedule.push(contenders[(round + i) % contenders.length]);
  }
  for (let round = 0; round < ROUNDS; round++) schedule.push(reference);
  const serversSeconds = () => cpuSecondsOf(hubServer.pid) + (cdn ? cpuSecondsOf(cdn.pid) : 0);
  const perMiB = (cpuS: number) => cpuS * 1000 / mb;
  for (const contender of schedule) {
    // From flushed disk writes, so that the page cache and the disk treat all alike.
    await new Deno.Command("sync").output();
    const servers0 = serversSeconds();
    const { speed, cpuSeconds, busiestThreadSeconds } = await contender.run();
    const serversCpu = perMiB(serversSeconds() - servers0);
    const busiest = busiestThreadSeconds === undefined ? undefined : perMiB(busiestThreadSeconds);
    rounds.get(contender)!.push({ speed, cpu: perMiB(cpuSeconds), busiest, serversCpu });
    await contender.cleanUp();
  }

  const mbps = (x: number) => (x / 1e6).toFixed(0).padStart(5);
  const ms = (x: number) => x.toFixed(2).padStart(5);
  const source = fromHub ? "from the hub itself" : "from a sendfile CDN";
  const link = `${linkMBps ? `a link paced to ${linkMBps} MB/s` : "loopback at full speed"}, ${source}`;
  console.log(`file: ${mb} MiB over ${link}, ${ROUNDS} rounds; ${navigator.hardwareConcurrency} CPUs`);
  console.log(
    `${"".padEnd(40)} MB/s: best median   CPU ms/MiB: own busiest-thread servers  MB/s by round`,
  );
  for (const [c, rs] of rounds) {
    const speeds = rs.map((r) => r.speed);
    const busiest = rs.every((r) => r.busiest !== undefined)
      ? ms(median(rs.map((r) => r.busiest!)))
      : "    -";
    console.log(
      `${c.name.padEnd(40)}      ${mbps(best(speeds))}  ${mbps(median(speeds))}` +
        `               ${ms(median(rs.map((r) => r.cpu)))}          ${busiest} ` +
        `${ms(median(rs.map((r) => r.serversCpu))).padStart(7)}   ${speeds.map(mbps).join(",")}`,
    );
  }
  const speedsOf = (c: Contender) => rounds.get(c)!.map((r) => r.speed);
  const [inlinePull, threadPull, alone, curl, curlVerify] = [...contenders, reference].map(speedsOf);
  const pct = (a: number, b: number) => `${(a / b * 100).toFixed(0)}%`;
  const ratio = (xs: number[]) =>
    `best ${pct(best(xs), best(curl))}, median ${pct(median(xs), median(curl))}`;
  const mark = (onThread: boolean) => onThread === threadByDefault ? " (this machine's default)" : "";
  console.log(`rbee-hive pull / curl -o, inline${mark(false)}: ${ratio(inlinePull)} (target >= 90%)`);
  console.log(
    `rbee-hive pull / curl -o, on a thread${mark(true)}: ${ratio(threadPull)} (target >= 90%)`,
  );
  console.log(`rbee downloader / curl -o: ${ratio(alone)}`);
  console.log(
    `rbee-hive pull / curl | tee | sha256sum: best ${
      pct(Math.max(...inlinePull, ...threadPull), best(curlVerify))
    }`,
  );
  // Where cores are idle, the busiest thread's CPU per MiB bounds a contender's speed.
  const [inlineCeiling, threadCeiling, , curlCeiling] = contenders.map((c) =>
    MIB_MS_TO_MBPS / median(rounds.get(c)!.map((r) => r.busiest ?? NaN))
  );
  const ceiling = (x: number) => `${mbps(x * 1e6).trim()} MB/s (${pct(x, curlCeiling)} of curl's)`;
  console.log(
    `ceilings set by the busiest thread, where cores are idle: rbee-hive pull ${ceiling(inlineCeiling)} ` +
      `inline, ${ceiling(threadCeiling)} on a thread; curl -o ${mbps(curlCeiling * 1e6).trim()} MB/s`,
  );
  console.log(`sha256 alone, in memory, on this CPU: ${ms(sha256MsPerMiB())} ms/MiB`);
  const mB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  console.log(
    `peak RSS: hive ${mB(memoryOf(inlineHive.pid).peak)} inline, ` +
      `${mB(memoryOf(threadHive.pid).peak)} on a thread (${mB(hiveRssBefore)} before a pull), ` +
      `in-process downloader ${mB(peakRss)} (${mB(rssBefore)} before); file: ${mB(size)}`,
  );
} catch (err) {
  if (hiveLog.length) console.error(hiveLog.slice(-20).join("\n"));
  throw err;
} finally {
  for (const hive of hives) await hive.stop(5000);
  for (const server of servers) {
    server.kill("SIGTERM");
    await server.status;
  }
  await Deno.remove(root, { recursive: true });
}

function parseArgs(args: string[]): { mb: number; linkMBps: number | null; fromHub: boolean } {
  const usage = (code: number): never => {
    (code ? console.error : console.log)(USAGE);
    Deno.exit(code);
  };
  let parsed;
  try {
    parsed = parseCliArgs({
      args,
      options: { link: { type: "string" }, "from-hub": { type: "boolean" }, help: { type: "boolean" } },
      allowPositionals: true,
    });
  } catch {
    return usage(2);
  }
  const { values, positionals } = parsed;
  if (values.help) usage(0);
  const positive = (text: string) => {
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : usage(2);
  };
  if (positionals.length > 1 || (values.link !== undefined && values["from-hub"])) usage(2);
  return {
    mb: positionals.length ? positive(positionals[0]) : 512,
    linkMBps: values.link === undefined ? null : positive(values.link),
    fromHub: values["from-hub"] ?? false,
  };
}

/** Pulls the synthetic model through a running hive; removing it again is the clean-up. */
function hivePull(name: string, hive: DaemonChild, size: number): Contender {
  return {
    name,
    async run() {
      const cpu0 = cpuSecondsOf(hive.pid);
      const threads = watchThreads(hive.pid);
      const t0 = performance.now();
      const outcome = await pullOnHive(hive.url, { model: MODEL });
      const seconds = (performance.now() - t0) / 1000;
      if (outcome.event !== "done") throw new Error(`The hive's pull ended with ${JSON.stringify(outcome)}`);
      return {
        speed: size / seconds,
        cpuSeconds: cpuSecondsOf(hive.pid) - cpu0,
        busiestThreadSeconds: busiestThreadSeconds(threads.start, threads.stop()),
      };
    },
    async cleanUp() {
      const res = await fetch(`${hive.url}/v1/models?model=${encodeURIComponent(MODEL)}`, {
        method: "DELETE",
      });
      if (!res.ok) throw new Error(`Removing the model failed: ${res.status} ${await res.text()}`);
    },
  };
}

/** A hub hook that redirects the graph's downloads to the CDN, as the Hugging Face hub does. */
function toCdn(cdnUrl: string): FaultHook {
  return (req, next) =>
    req.path.includes("/resolve/") && req.path.endsWith(`/${GRAPH}`)
      ? Promise.resolve(Response.redirect(`${cdnUrl}/${REPO}/resolve/main/${GRAPH}`, 302))
      : next();
}

/** Starts a server that prints its URL on its first line; it is stopped with the others. */
function startServer(command: string, args: string[]): Deno.ChildProcess {
  const child = new Deno.Command(command, { args, stdout: "piped", stderr: "inherit" }).spawn();
  servers.push(child);
  return child;
}

/**
 * curl writing the file, following the hub's redirect: its own timing (from the first request
 * to the last byte), and its CPU time as bash's `times` reports it (curl receives and writes
 * on one thread, so that is its busiest thread's too).
 */
async function curlRun(url: string, dest: string, size: number): Promise<Download> {
  const [seconds, children] = await bashLines(
    'curl -sfL -o "$2" -w "%{time_total}\\n" "$1"; times',
    url,
    dest,
  );
  const cpuSeconds = timesSeconds(children);
  return { speed: size / Number(seconds), cpuSeconds, busiestThreadSeconds: cpuSeconds };
}

/** curl writing the file while sha256sum hashes the same stream, by wall clock. */
async function curlVerifyRun(
  url: string,
  dest: string,
  size: number,
): Promise<Download> {
  const t0 = performance.now();
  const [children] = await bashLines(
    'set -o pipefail; curl -sfL "$1" | tee "$2" | sha256sum >/dev/null; times',
    url,
    dest,
  );
  return { speed: size / ((performance.now() - t0) / 1000), cpuSeconds: timesSeconds(children) };
}

/** Runs a bash script with arguments; returns its output lines but the one `times` gives for the shell itself. */
async function bashLines(script: string, ...args: string[]): Promise<string[]> {
  const out = await new Deno.Command("bash", { args: ["-c", `set -e; ${script}`, "bench", ...args] })
    .output();
  if (!out.success) throw new Error(`'${script}' failed: ${new TextDecoder().decode(out.stderr)}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return [...lines.slice(0, -2), lines.at(-1)!];
}

function sha256MsPerMiB(): number {
  const block = new Uint8Array(1024 * 1024).fill(1);
  const hash = createHash("sha256");
  const t0 = performance.now();
  for (let i = 0; i < 256; i++) hash.update(block);
  hash.digest();
  return (performance.now() - t0) / 256;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) return text.split("\n")[0].trim();
  }
  throw new Error("The bench hub exited before listening");
}
