/**
 * A hive killed (SIGKILL) in the middle of a pull, then started again on the same
 * RBEE_HOME: the next pull resumes the interrupted file with a Range request, asks
 * nothing again of the files already finished, and leaves one complete model in the
 * catalog and no unfinished install behind.
 */
import { join } from "node:path";
import { ModelList } from "../shared/contracts/models.ts";
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { type FakeHub, type MirrorFile, startFakeHub } from "./support/fake_hub.ts";
import { entries, pullOnHive, sha256, startHive, withHiveWorld, writeRepo } from "./support/hive_process.ts";
import { eventually } from "./support/supervised.ts";

const REPO = "acme/big";
const COMMIT = "c".repeat(40);
const DATA = "onnx/model.onnx_data";
const MiB = 1024 * 1024;

/** A model folder in the hub's resolve layout: small text files, a 1 MiB graph and 12 MiB of weights. */
function buildRepo(root: string): Promise<MirrorFile[]> {
  return writeRepo(root, REPO, {
    "config.json": text(JSON.stringify({ model_type: "llama" })),
    "tokenizer.json": text("{}"),
    "tokenizer_config.json": text("{}"),
    "onnx/model.onnx": random(MiB),
    [DATA]: random(12 * MiB),
  });
}

/** Re-chunks a body into `bytes` every `tickMs`: a slow link. */
function throttle(
  body: ReadableStream<Uint8Array>,
  bytes: number,
  tickMs: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (pending.length === 0) {
        const { done, value } = await reader.read();
        if (done) return ctl.close();
        pending = value;
      }
      await new Promise((r) => setTimeout(r, tickMs));
      ctl.enqueue(pending.slice(0, bytes));
      pending = pending.subarray(bytes);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function downloads(hub: FakeHub, from = 0) {
  return hub.log.slice(from).filter((r) => r.path.includes("/resolve/"))
    .map((r) => ({ file: r.path.split(`/resolve/${COMMIT}/`)[1], range: r.range }));
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

Deno.test("a hive killed mid-pull resumes after a restart without downloading finished files again", async () => {
  await withHiveWorld(async (world) => {
    const { home } = world;
    const files = await buildRepo(world.root);
    let slow = true;
    const hub = world.hub = await startFakeHub({
      root: world.root,
      manifest: { repos: [{ id: REPO, commit: COMMIT, files }] },
      faults: async (req, next) => {
        const res = await next();
        if (!slow || !req.path.endsWith(DATA) || !res.body) return res;
        return new Response(throttle(res.body, 64 * 1024, 20), { status: res.status, headers: res.headers });
      },
    });
    const killed = await startHive(home, hub.url, world.log);
    const downloadDir = join(home, "models/.downloads/hf", REPO, "_", COMMIT);
    const part = join(downloadDir, `${DATA}.part`);
    const others = files.map((f) => f.path).filter((p) => p !== DATA);
    const first = pullOnHive(killed.url, { model: `hf:${REPO}` });
    // Files download side by side: the small ones finish while the weights crawl in.
    await eventually(
      "the other files finished and part of the weights on disk",
      () => others.every((p) => sizeOf(join(downloadDir, p)) > 0) && sizeOf(part) > 0,
      30_000,
    );
    Deno.kill(killed.pid, "SIGKILL");
    await killed.exited;
    assertEquals(await first, { event: "cut" });
    const kept = sizeOf(part);
    assertTrue(kept > 0 && kept < 12 * MiB, `the kill landed mid-transfer (${kept} bytes kept)`);
    assertEquals(downloads(hub).map((d) => d.file).sort(), files.map((f) => f.path).sort());

    // An install the crash interrupted, as the killed hive would have left it.
    await Deno.mkdir(join(home, "models/.tmp", `${killed.pid}-interrupted`, "onnx"), { recursive: true });
    slow = false;
    const seen = hub.log.length;
    const hive = world.hive = await startHive(home, hub.url, world.log);
    assertEquals(await pullOnHive(hive.url, { model: `hf:${REPO}` }), { event: "done" });

    // Finished files are not asked for again; the interrupted one resumes where it stopped.
    assertEquals(downloads(hub, seen), [{ file: DATA, range: `bytes=${kept}-` }]);
    const { models } = ModelList.parse(await (await fetch(`${hive.url}/v1/models`)).json());
    assertEquals(models.map((m) => [m.ref, m.format, m.dtype, m.files.length]), [
      [`hf:${REPO}@main`, "onnx", "fp32", files.length],
    ]);
    const installed = join(home, "models/hf", REPO, "_", COMMIT);
    const expected = files.find((f) => f.path === DATA)!.sha256;
    assertEquals(sha256(await Deno.readFile(join(installed, DATA))), expected);
    assertEquals(entries(join(home, "models/.tmp")), []);
    assertEquals(entries(join(home, "models/.downloads")), []);
  });
});

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}
