/**
 * Precisions end to end on a real hive and worker: a repository in the ONNX layout
 * with an fp32 and a q8 variant (the q8 one is stories260K's imported graph under
 * transformers.js's name for q8), pulled and spawned by dtype.
 */
import { join } from "node:path";
import type { DaemonChild } from "../shared/child.ts";
import { ModelList } from "../shared/contracts/models.ts";
import { WorkerStatus } from "../shared/contracts/supervision.ts";
import { readSse } from "../shared/sse.ts";
import { assertEquals, assertTrue } from "../shared/testing.ts";
import { importLlama2c } from "../hive/llama2c/import.ts";
import { REFERENCE_STORY } from "./support/cluster.ts";
import { type FakeHub, hfMirrorDir, startFakeHub } from "./support/fake_hub.ts";
import { entries, pullOnHive, startHive, withHiveWorld, writeRepo } from "./support/hive_process.ts";

const mirror = hfMirrorDir();
const REPO = "acme/stories-onnx";
const MODEL = `hf:${REPO}`;
const COMMIT = "d".repeat(40);

/** stories260K in the ONNX layout, its graph both as fp32 and as the q8 variant. */
async function buildRepo(root: string) {
  const src = join(mirror!, "karpathy", "tinyllamas", "resolve", "main", "stories260K");
  const out = await Deno.makeTempDir({ dir: root });
  await importLlama2c({
    checkpointPath: join(src, "stories260K.bin"),
    tokenizerPath: join(src, "tok512.bin"),
    outDir: out,
  });
  const read = (path: string) => Deno.readFileSync(join(out, path));
  return await writeRepo(root, REPO, {
    "config.json": read("config.json"),
    "generation_config.json": read("generation_config.json"),
    "tokenizer.json": read("tokenizer.json"),
    "tokenizer_config.json": read("tokenizer_config.json"),
    "onnx/model.onnx": read("onnx/model.onnx"),
    "onnx/model_quantized.onnx": read("onnx/model.onnx"),
  });
}

function fetched(hub: FakeHub, from: number): string[] {
  return hub.log.slice(from).filter((r) => r.path.includes("/resolve/"))
    .map((r) => r.path.split(`/resolve/${COMMIT}/`)[1]).sort();
}

async function generate(hive: DaemonChild, workerId: string): Promise<string> {
  const res = await fetch(`${hive.url}/v1/workers/${workerId}/inference`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 12, temperature: 0 }),
  });
  let text = "";
  for await (const ev of readSse(res.body!)) {
    if (ev.event === "token") text += JSON.parse(ev.data).text;
    if (ev.event === "error") throw new Error(ev.data);
  }
  return text;
}

Deno.test("a q8 pull fetches only the q8 variant, and a q8 worker loads and runs it", {
  ignore: mirror === null,
}, async () => {
  await withHiveWorld(async (world) => {
    const files = await buildRepo(world.root);
    const hub = world.hub = await startFakeHub({
      root: world.root,
      manifest: { repos: [{ id: REPO, commit: COMMIT, files }] },
    });
    const hive = world.hive = await startHive(world.home, hub.url, world.log);
    assertEquals(await pullOnHive(hive.url, { model: MODEL, dtype: "q8" }), { event: "done" });
    assertEquals(fetched(hub, 0), [
      "config.json",
      "generation_config.json",
      "onnx/model_quantized.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const q8Dir = join(world.home, "models/hf", REPO, "_", `${COMMIT}-q8`);
    assertEquals(entries(join(q8Dir, "onnx")), ["model_quantized.onnx"]);

    // The folder holds no fp32 graph: the worker can only be running the q8 file.
    const spawned = await fetch(`${hive.url}/v1/workers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, dtype: "q8" }),
    });
    const worker = WorkerStatus.parse(await spawned.json());
    assertEquals([spawned.status, worker.dtype, worker.state], [201, "q8", "idle"]);
    const story = await generate(hive, worker.id);
    assertTrue(story.length > 20 && REFERENCE_STORY.startsWith(story), story);

    // A variant the repository lacks is refused by name, before any download.
    const seen = hub.log.length;
    const q4 = await pullOnHive(hive.url, { model: MODEL, dtype: "q4" });
    assertEquals(q4.event === "error" && [q4.error.code, q4.error.message], [
      "INVALID_MODEL_FILE",
      `Model '${MODEL}@main' has no q4 variant ('onnx/model_q4.onnx') in its ONNX layout; it has fp32, q8`,
    ]);
    assertEquals(fetched(hub, seen), []);

    // fp32 is another folder and another catalog entry; q8's files are not fetched again.
    assertEquals(await pullOnHive(hive.url, { model: MODEL }), { event: "done" });
    assertEquals(fetched(hub, seen).includes("onnx/model_quantized.onnx"), false);
    assertEquals(fetched(hub, seen).includes("onnx/model.onnx"), true);
    const { models } = ModelList.parse(await (await fetch(`${hive.url}/v1/models`)).json());
    assertEquals(models.map((m) => [m.ref, m.dtype, m.last_used === null]), [
      [`${MODEL}@main`, "fp32", true],
      [`${MODEL}@main`, "q8", false],
    ]);
    const shown = await (await fetch(`${hive.url}/v1/models/show?model=${MODEL}&dtype=q8`)).json();
    assertEquals(
      shown.files.map((f: { path: string }) => f.path).includes("onnx/model_quantized.onnx"),
      true,
    );

    // A graceful stop closes the catalog: its write-ahead log is folded into hive.db.
    assertEquals((await hive.stop(10_000)).code, 0);
    assertEquals(entries(world.home).filter((name) => name.startsWith("hive.db")), ["hive.db"]);
  });
});
