import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { parseModelRef } from "../../shared/model_ref.ts";
import { assertEquals, assertRejects, assertTrue } from "../../shared/testing.ts";
import { hfMirrorDir } from "../../tests/support/fake_hub.ts";
import { ensureModel, type ImportFn } from "./pull.ts";

const mirror = hfMirrorDir();
// No hub is needed for local references: any use of it would fail.
const env = { HF_ENDPOINT: "http://127.0.0.1:9" };

async function withHome(
  fn: (home: string, imports: Parameters<ImportFn>[0][], importer: ImportFn) => Promise<void>,
) {
  const home = await Deno.makeTempDir();
  const imports: Parameters<ImportFn>[0][] = [];
  const importer: ImportFn = async (opts) => {
    imports.push(opts);
    await Deno.writeTextFile(join(opts.outDir, "config.json"), "{}");
  };
  try {
    await fn(home, imports, importer);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("a local ONNX folder is used in place", async () => {
  await withHome(async (home, imports, importLlama2c) => {
    const dir = join(home, "my-model");
    await Deno.mkdir(join(dir, "onnx"), { recursive: true });
    for (const f of ["config.json", "tokenizer.json", "onnx/model.onnx"]) {
      await Deno.writeTextFile(join(dir, f), "{}");
    }
    const model = await ensureModel(parseModelRef(`file:${dir}`), { home, env, importLlama2c });
    assertEquals(model, {
      ref: `file:${dir}`,
      path: dir,
      format: "onnx",
      meta: { ref: `file:${dir}`, format: "onnx", dtype: "fp32" },
    });
    assertEquals(imports, []);
    assertEquals([...Deno.readDirSync(home)].map((e) => e.name), ["my-model"]);
  });
});

Deno.test("a local llama2.c folder is imported once into models/file/", { ignore: !mirror }, async () => {
  await withHome(async (home, imports, importLlama2c) => {
    const source = join(mirror!, "karpathy", "tinyllamas", "resolve", "main", "stories260K");
    const ref = parseModelRef(`file:${source}`);
    const first = await ensureModel(ref, { home, env, importLlama2c });
    const second = await ensureModel(ref, { home, env, importLlama2c });
    assertEquals(second, first);
    assertEquals(first.format, "llama2c");
    assertTrue(/\/models\/file\/[0-9a-f]{16}$/.test(first.path), first.path);
    assertEquals(imports.map((i) => [i.checkpointPath, i.tokenizerPath]), [
      [join(source, "stories260K.bin"), join(source, "tok512.bin")],
    ]);
    assertTrue(Deno.statSync(join(first.path, "config.json")).isFile);
  });
});

Deno.test("a missing local folder is MODEL_NOT_FOUND quoting the reference", async () => {
  await withHome(async (home, _imports, importLlama2c) => {
    const ref = parseModelRef("file:/no/such/rbee-model");
    const err = await assertRejects(() => ensureModel(ref, { home, env, importLlama2c }), RbeeError);
    assertEquals([err.code, err.message], [
      "MODEL_NOT_FOUND",
      "Model folder not found for 'file:/no/such/rbee-model'",
    ]);
  });
});

Deno.test("a local folder in neither layout is INVALID_MODEL_FILE", async () => {
  await withHome(async (home, _imports, importLlama2c) => {
    await Deno.writeTextFile(join(home, "notes.txt"), "hi");
    const err = await assertRejects(
      () => ensureModel(parseModelRef(`file:${home}`), { home, env, importLlama2c }),
      RbeeError,
    );
    assertEquals(err.code, "INVALID_MODEL_FILE");
  });
});
