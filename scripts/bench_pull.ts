/**
 * `deno task bench:pull [MB]`: downloads a large synthetic LFS file (default 512 MB,
 * generated here) from a local hub in another process, with rbee's downloader
 * (resume support, sha256 verification, stall watchdog) and with `curl`, and prints
 * both speeds, their ratio, and the peak memory of this process during rbee's download.
 *
 * Target: at least 90% of curl's throughput, with memory independent of file size.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { downloadFile } from "../hive/models/download.ts";
import { hubFromEnv, listModelFiles } from "../hive/models/hub_client.ts";
import { type HfModelRef, parseModelRef } from "../shared/model_ref.ts";
import { startFakeHub } from "../tests/support/fake_hub.ts";

const COMMIT = "b".repeat(40);
const REPO = "bench/synthetic";

if (Deno.args[0] === "--serve") {
  // Child mode: serve the folder and say where.
  const root = Deno.args[1];
  const hub = await startFakeHub({ root });
  console.log(hub.url);
  await new Promise(() => {});
}

const mb = Number(Deno.args[0] ?? 512);
const ROUNDS = 5;

/** One way of downloading the file to the destination, timed. */
interface Contender {
  name: string;
  bytesPerSecond(): Promise<number>;
}

const best = (xs: number[]) => Math.max(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const root = await Deno.makeTempDir({ prefix: "rbee-bench-pull-" });
let server: Deno.ChildProcess | null = null;
try {
  const size = mb * 1024 * 1024;
  const sha256 = await writeSynthetic(join(root, ...REPO.split("/"), "resolve", "main", "model.bin"), size);
  const manifest = {
    repos: [{ id: REPO, commit: COMMIT, files: [{ path: "model.bin", size, sha256, lfs: true }] }],
  };
  await Deno.writeTextFile(join(root, "MANIFEST.json"), JSON.stringify(manifest));
  server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", root],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const url = await firstLine(server.stdout);
  const hub = hubFromEnv({ HF_ENDPOINT: url });
  const ref = parseModelRef(`hf:${REPO}`) as HfModelRef;
  const [file] = await listModelFiles(hub, ref, COMMIT);

  const fileUrl = `${url}/${REPO}/resolve/${COMMIT}/model.bin`;
  const dest = join(root, "download.bin");
  let peakRss = 0;
  const rssBefore = rssBytes();
  const contenders: Contender[] = [
    {
      name: "rbee (sha256 + resume + watchdog)",
      async bytesPerSecond() {
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes())), 50);
        const t0 = performance.now();
        await downloadFile(hub, ref, COMMIT, file, dest);
        clearInterval(sampler);
        return size / ((performance.now() - t0) / 1000);
      },
    },
    { name: "curl -o", bytesPerSecond: () => curlSpeed(fileUrl, dest) },
    // rbee verifies as it downloads: curl through sha256sum is the like-for-like pipeline.
    { name: "curl | tee | sha256sum", bytesPerSecond: () => curlVerifySpeed(fileUrl, dest, size) },
  ];
  const speeds = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another contender, and from flushed disk writes, so that
    // the page cache and the disk treat them alike.
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length];
      await new Deno.Command("sync").output();
      speeds.get(contender)!.push(await contender.bytesPerSecond());
      await Deno.remove(dest);
    }
  }
  const mbps = (x: number) => (x / 1e6).toFixed(0).padStart(5);
  console.log(`file: ${mb} MiB, ${ROUNDS} rounds, each writing to the same disk; MB/s:`);
  console.log(`${"".padEnd(34)}  best median  rounds`);
  for (const [c, xs] of speeds) {
    console.log(`${c.name.padEnd(34)} ${mbps(best(xs))}  ${mbps(median(xs))}  ${xs.map(mbps).join(",")}`);
  }
  const [rbee, curl, curlVerify] = contenders.map((c) => speeds.get(c)!);
  const pct = (a: number, b: number) => `${(a / b * 100).toFixed(0)}%`;
  console.log(
    `rbee / curl -o: best ${pct(best(rbee), best(curl))}, median ${pct(median(rbee), median(curl))} ` +
      `(target >= 90%)`,
  );
  console.log(`rbee / curl | tee | sha256sum: best ${pct(best(rbee), best(curlVerify))}`);
  console.log(
    `peak RSS during rbee's downloads: ${(peakRss / 1e6).toFixed(0)} MB ` +
      `(before: ${(rssBefore / 1e6).toFixed(0)} MB; file: ${(size / 1e6).toFixed(0)} MB)`,
  );
} finally {
  if (server) {
    server.kill("SIGTERM");
    await server.status;
  }
  await Deno.remove(root, { recursive: true });
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

/** Bytes/s of curl writing the file while sha256sum hashes the same stream, by wall clock. */
async function curlVerifySpeed(url: string, dest: string, size: number): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", 'set -o pipefail; curl -s "$1" | tee "$2" | sha256sum >/dev/null', "bench", url, dest],
  }).output();
  if (!out.success) throw new Error(`curl | sha256sum failed: ${new TextDecoder().decode(out.stderr)}`);
  return size / ((performance.now() - t0) / 1000);
}

async function curlSpeed(url: string, dest: string): Promise<number> {
  const out = await new Deno.Command("curl", { args: ["-s", "-o", dest, "-w", "%{speed_download}", url] })
    .output();
  if (!out.success) throw new Error(`curl failed: ${new TextDecoder().decode(out.stderr)}`);
  return Number(new TextDecoder().decode(out.stdout));
}

function rssBytes(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) return text.split("\n")[0].trim();
  }
  throw new Error("The bench hub exited before listening");
}
