/**
 * `deno task bench:pull [MiB] [--link MB/s]`: a synthetic repository in the ONNX layout
 * whose graph is a large file (default 512 MiB, generated here) is served by a local hub
 * in another process, and downloaded by:
 * - a real hive (`POST /v1/models/pull`: resolve, download, sha256, install), as users pull:
 *   one hive hashing on the reading thread, one hashing on a thread of its own;
 * - rbee's downloader alone, in this process (resume support, sha256, stall watchdog);
 * - `curl -o`, and `curl | tee | sha256sum` (the like-for-like download-and-verify).
 * It prints their speeds (best and median of 5 rounds), the CPU each spends per MiB (the
 * hub's too: where the machine has no idle core, that decides the speeds), the CPU of each
 * one's busiest thread (which bounds its speed where cores are idle) and peak memory.
 *
 * Target: at least 90% of curl's throughput, with memory independent of file size.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { DEFAULT_DOWNLOAD_SETTINGS, downloadFile } from "../hive/models/download.ts";
import { hubFromEnv, listModelFiles } from "../hive/models/hub_client.ts";
import { type HfModelRef, parseModelRef } from "../shared/model_ref.ts";
import { type FaultHook, type MirrorFile, startFakeHub } from "../tests/support/fake_hub.ts";
import { pullOnHive, startHive } from "../tests/support/hive_process.ts";
import type { DaemonChild } from "../shared/child.ts";
import {
  busiestThreadSeconds,
  cpuSecondsOf,
  cpuSecondsOfSelf,
  memoryOf,
  threadCpuSecondsOf,
  timesSeconds,
  watchThreads,
} from "./process_stats.ts";

const COMMIT = "b".repeat(40);
const REPO = "bench/synthetic";
const MODEL = `hf:${REPO}`;
/** The large file: the graph of a transformers.js ONNX layout, so the hive accepts the repository. */
const GRAPH = "onnx/model.onnx";

if (Deno.args[0] === "--serve") {
  // Child mode: serve the folder (at most `linkMBps` MB/s per download, when given) and say where.
  const [root, linkMBps] = Deno.args.slice(1);
  const hub = await startFakeHub({
    root,
    faults: linkMBps ? pacedDownloads(Number(linkMBps) * 1e6) : undefined,
  });
  console.log(hub.url);
  await new Promise(() => {});
}

const USAGE = `Usage: deno task bench:pull [MiB] [--link MB/s]

Pulls a synthetic model whose graph is MiB mebibytes (default 512) from a local hub through
two hives (sha256 on the reading thread; on a thread of its own), and downloads the graph with
rbee's downloader alone, curl and curl | tee | sha256sum, 5 rounds each. --link paces the hub to that many MB/s per download, as a network link would
(default: as fast as it can).`;
const { mb, linkMBps } = parseArgs(Deno.args);
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
  hubCpu: number;
}

/** A thread that spends x ms per MiB moves at most MIB_MS_TO_MBPS / x MB/s. */
const MIB_MS_TO_MBPS = 1024 * 1024 / 1e6 * 1000;
const best = (xs: number[]) => Math.max(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const root = await Deno.makeTempDir({ prefix: "rbee-bench-pull-" });
let server: Deno.ChildProcess | null = null;
const hives: DaemonChild[] = [];
const hiveLog: string[] = [];
try {
  const size = mb * 1024 * 1024;
  const files = await writeSyntheticRepo(join(root, ...REPO.split("/"), "resolve", "main"), size);
  const manifest = { repos: [{ id: REPO, commit: COMMIT, files }] };
  await Deno.writeTextFile(join(root, "MANIFEST.json"), JSON.stringify(manifest));
  server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--serve",
      root,
      ...(linkMBps ? [`${linkMBps}`] : []),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const url = await firstLine(server.stdout);
  const hub = hubFromEnv({ HF_ENDPOINT: url });
  const ref = parseModelRef(MODEL) as HfModelRef;
  const file = (await listModelFiles(hub, ref, COMMIT)).find((f) => f.path === GRAPH)!;
  const fileUrl = `${url}/${REPO}/resolve/${COMMIT}/${GRAPH}`;
  const dest = join(root, "download.bin");
  // Real hives, started as `deno task hive` starts one (same permissions), each with its own home.
  const inlineHive = await startHive(join(root, "home-inline"), url, hiveLog, {
    RBEE_DOWNLOAD_HASH_THREAD: "off",
  });
  hives.push(inlineHive);
  const threadHive = await startHive(join(root, "home-thread"), url, hiveLog, {
    RBEE_DOWNLOAD_HASH_THREAD: "on",
  });
  hives.push(threadHive);
  const hiveRssBefore = memoryOf(inlineHive.pid).rss;
  let peakRss = 0;
  const rssBefore = memoryOf(Deno.pid).rss;
  const hashesOnThread = DEFAULT_DOWNLOAD_SETTINGS.hashThreadFromBytes !== null &&
    size >= DEFAULT_DOWNLOAD_SETTINGS.hashThreadFromBytes;

  const contenders: Contender[] = [
    hivePull("rbee-hive pull, sha256 inline", inlineHive, size),
    hivePull("rbee-hive pull, sha256 on a thread", threadHive, size),
    {
      name: `rbee downloader alone, ${hashesOnThread ? "thread" : "inline"} (default)`,
      async run() {
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(Deno.pid).rss)), 50);
        const [cpu0, threads0] = [cpuSecondsOfSelf(), threadCpuSecondsOf(Deno.pid)];
        const threads = watchThreads(Deno.pid);
        const t0 = performance.now();
        await downloadFile(hub, ref, COMMIT, file, dest);
        const seconds = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        return {
          speed: size / seconds,
          cpuSeconds: cpuSecondsOfSelf() - cpu0,
          busiestThreadSeconds: busiestThreadSeconds(threads0, threads.stop()),
        };
      },
      cleanUp: () => Deno.remove(dest),
    },
    { name: "curl -o", run: () => curlRun(fileUrl, dest), cleanUp: () => Deno.remove(dest) },
    // rbee verifies as it downloads: curl through sha256sum is the like-for-like pipeline.
    {
      name: "curl | tee | sha256sum",
      run: () => curlVerifyRun(fileUrl, dest, size),
      cleanUp: () => Deno.remove(dest),
    },
  ];
  const rounds = new Map<Contender, Round[]>(contenders.map((c) => [c, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another contender, and from flushed disk writes, so that
    // the page cache and the disk treat them alike.
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length];
      await new Deno.Command("sync").output();
      const hub0 = cpuSecondsOf(server.pid);
      const { speed, cpuSeconds, busiestThreadSeconds } = await contender.run();
      const perMiB = (cpuS: number) => cpuS * 1000 / mb;
      const hubCpu = perMiB(cpuSecondsOf(server.pid) - hub0);
      const busiest = busiestThreadSeconds === undefined ? undefined : perMiB(busiestThreadSeconds);
      rounds.get(contender)!.push({ speed, cpu: perMiB(cpuSeconds), busiest, hubCpu });
      await contender.cleanUp();
    }
  }

  const mbps = (x: number) => (x / 1e6).toFixed(0).padStart(5);
  const ms = (x: number) => x.toFixed(2).padStart(5);
  const link = linkMBps ? `a link paced to ${linkMBps} MB/s` : "loopback at full speed";
  console.log(`file: ${mb} MiB over ${link}, ${ROUNDS} rounds; ${navigator.hardwareConcurrency} CPUs`);
  console.log(
    `${"".padEnd(40)} MB/s: best median   CPU ms/MiB: own busiest-thread  hub   MB/s by round`,
  );
  for (const [c, rs] of rounds) {
    const speeds = rs.map((r) => r.speed);
    const busiest = rs.every((r) => r.busiest !== undefined)
      ? ms(median(rs.map((r) => r.busiest!)))
      : "    -";
    console.log(
      `${c.name.padEnd(40)}      ${mbps(best(speeds))}  ${mbps(median(speeds))}` +
        `               ${ms(median(rs.map((r) => r.cpu)))}          ${busiest} ` +
        `${ms(median(rs.map((r) => r.hubCpu)))}   ${speeds.map(mbps).join(",")}`,
    );
  }
  const speedsOf = (c: Contender) => rounds.get(c)!.map((r) => r.speed);
  const [inlinePull, threadPull, alone, curl, curlVerify] = contenders.map(speedsOf);
  const pct = (a: number, b: number) => `${(a / b * 100).toFixed(0)}%`;
  const ratio = (xs: number[]) =>
    `best ${pct(best(xs), best(curl))}, median ${pct(median(xs), median(curl))}`;
  const mark = (onThread: boolean) => onThread === hashesOnThread ? " (this machine's default)" : "";
  console.log(`rbee-hive pull / curl -o, sha256 inline${mark(false)}: ${ratio(inlinePull)} (target >= 90%)`);
  console.log(
    `rbee-hive pull / curl -o, sha256 on a thread${mark(true)}: ${ratio(threadPull)} (target >= 90%)`,
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
      `with sha256 inline, ${ceiling(threadCeiling)} on a thread; curl -o ${
        mbps(curlCeiling * 1e6).trim()
      } MB/s`,
  );
  console.log(`sha256 alone, in memory, on this CPU: ${ms(sha256MsPerMiB())} ms/MiB`);
  const mB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  console.log(
    `peak RSS: hive ${mB(memoryOf(inlineHive.pid).peak)} with sha256 inline, ` +
      `${mB(memoryOf(threadHive.pid).peak)} on a thread (${mB(hiveRssBefore)} before a pull), ` +
      `in-process downloader ${mB(peakRss)} (${mB(rssBefore)} before); file: ${mB(size)}`,
  );
} catch (err) {
  if (hiveLog.length) console.error(hiveLog.slice(-20).join("\n"));
  throw err;
} finally {
  for (const hive of hives) await hive.stop(5000);
  if (server) {
    server.kill("SIGTERM");
    await server.status;
  }
  await Deno.remove(root, { recursive: true });
}

function parseArgs(args: string[]): { mb: number; linkMBps: number | null } {
  const positive = (text: string | undefined) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) {
      console.error(USAGE);
      Deno.exit(2);
    }
    return n;
  };
  const link = args.indexOf("--link");
  const rest = link >= 0 ? args.filter((_, i) => i !== link && i !== link + 1) : args;
  if (args.includes("--help") || rest.length > 1) {
    console.log(USAGE);
    Deno.exit(rest.length > 1 ? 2 : 0);
  }
  return { mb: rest.length ? positive(rest[0]) : 512, linkMBps: link >= 0 ? positive(args[link + 1]) : null };
}

/** Pulls the synthetic model through a running hive; removing it again is the clean-up. */
function hivePull(name: string, hive: DaemonChild, size: number): Contender {
  return {
    name,
    async run() {
      const [cpu0, threads0] = [cpuSecondsOf(hive.pid), threadCpuSecondsOf(hive.pid)];
      const threads = watchThreads(hive.pid);
      const t0 = performance.now();
      const outcome = await pullOnHive(hive.url, { model: MODEL });
      const seconds = (performance.now() - t0) / 1000;
      if (outcome.event !== "done") throw new Error(`The hive's pull ended with ${JSON.stringify(outcome)}`);
      return {
        speed: size / seconds,
        cpuSeconds: cpuSecondsOf(hive.pid) - cpu0,
        busiestThreadSeconds: busiestThreadSeconds(threads0, threads.stop()),
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

/** A hub hook that sends each download's body no faster than `bytesPerSecond`. */
function pacedDownloads(bytesPerSecond: number): FaultHook {
  return async (req, next) => {
    const res = await next();
    if (!res.body || !req.path.includes("/resolve/")) return res;
    const start = performance.now();
    let sent = 0;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        async transform(chunk, controller) {
          sent += chunk.length;
          const wait = start + sent / bytesPerSecond * 1000 - performance.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, headers: res.headers });
  };
}

/** Writes a repository in the ONNX layout with a `size`-byte graph; returns the manifest's files. */
async function writeSyntheticRepo(dir: string, size: number): Promise<MirrorFile[]> {
  const small = { "config.json": '{"model_type":"llama"}', "tokenizer.json": "{}" };
  for (const [path, text] of Object.entries(small)) {
    await writeFileIn(dir, path, new TextEncoder().encode(text));
  }
  const sha256 = await writeSynthetic(join(dir, GRAPH), size);
  const smallFiles = Object.entries(small).map(([path, text]) => ({ path, size: text.length, lfs: false }));
  return [...smallFiles, { path: GRAPH, size, sha256, lfs: true }];
}

async function writeFileIn(dir: string, path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
  await Deno.writeFile(join(dir, path), bytes);
}

/** Writes `size` pseudo-random bytes in 1 MiB blocks; returns their sha256. */
async function writeSynthetic(path: string, size: number): Promise<string> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const hash = createHash("sha256");
  using out = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1024 * 1024);
  for (let done = 0, i = 0; done < size; done += block.length, i++) {
    // Cheap, varied content: a counter pattern, so nothing compresses it away.
    new DataView(block.buffer).setUint32((i * 4096) % (block.length - 4), i);
    const chunk = block.subarray(0, Math.min(block.length, size - done));
    hash.update(chunk);
    for (let at = 0; at < chunk.length;) at += await out.write(chunk.subarray(at));
  }
  return hash.digest("hex");
}

/**
 * curl writing the file; its own speed figure, and its CPU time as bash's `times` reports it
 * (curl receives and writes on one thread, so that is its busiest thread's too).
 */
async function curlRun(url: string, dest: string): Promise<Download> {
  const [speed, children] = await bashLines(
    'curl -s -o "$2" -w "%{speed_download}\\n" "$1"; times',
    url,
    dest,
  );
  const cpuSeconds = timesSeconds(children);
  return { speed: Number(speed), cpuSeconds, busiestThreadSeconds: cpuSeconds };
}

/** curl writing the file while sha256sum hashes the same stream, by wall clock. */
async function curlVerifyRun(
  url: string,
  dest: string,
  size: number,
): Promise<Download> {
  const t0 = performance.now();
  const [children] = await bashLines(
    'set -o pipefail; curl -s "$1" | tee "$2" | sha256sum >/dev/null; times',
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
