import { createHash } from "node:crypto";
import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { parseModelRef } from "../../shared/model_ref.ts";
import { assertEquals, assertRejects, assertStringIncludes, assertTrue } from "../../shared/testing.ts";
import {
  closedPortUrl,
  type FakeHub,
  type FakeHubOptions,
  mirrorFixture,
  startFakeHub,
} from "../../tests/support/fake_hub.ts";
import { ensureModel, type ImportFn, type PullProgress } from "./pull.ts";

const { dir: mirror, manifest, commit } = mirrorFixture();
const ignore = mirror === null;
const TINY = parseModelRef("hf:karpathy/tinyllamas:stories260K");
const SECRET = "hf_pull_secret_do_not_leak";

interface Setup {
  hub: FakeHub;
  home: string;
  imports: Parameters<ImportFn>[0][];
  importLlama2c: ImportFn;
  env: { HF_ENDPOINT: string; HF_TOKEN?: string };
}

/** A fake importer that checks its inputs exist and writes a config.json, as the real one would. */
function fakeImporter(imports: Parameters<ImportFn>[0][]): ImportFn {
  return async (opts) => {
    imports.push(opts);
    const size = (await Deno.stat(opts.checkpointPath)).size + (await Deno.stat(opts.tokenizerPath)).size;
    await Deno.writeTextFile(join(opts.outDir, "config.json"), JSON.stringify({ source_bytes: size }));
  };
}

async function withSetup(fn: (s: Setup) => Promise<void>, opts: Partial<FakeHubOptions> = {}) {
  const hub = await startFakeHub({ root: mirror!, ...opts });
  const home = await Deno.makeTempDir();
  const imports: Parameters<ImportFn>[0][] = [];
  try {
    await fn({ hub, home, imports, importLlama2c: fakeImporter(imports), env: { HF_ENDPOINT: hub.url } });
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function entries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function resolveRequests(hub: FakeHub): string[] {
  return hub.requests.filter((p) => p.includes("/resolve/"));
}

Deno.test("pulls the llama2.c stories260K model, verified, imported and installed", { ignore }, async () => {
  await withSetup(async ({ hub, home, imports, importLlama2c, env }) => {
    const events: PullProgress[] = [];
    const pulled = await ensureModel(TINY, { home, env, importLlama2c, onProgress: (p) => events.push(p) });
    const dir = join(home, "models", "hf", "karpathy", "tinyllamas", "stories260K", commit);
    const { meta, ...model } = pulled;
    assertEquals(
      meta.files,
      manifest.repos[0].files.map((f) => ({ path: f.path.split("/")[1], size: f.size, sha256: f.sha256 })),
    );
    assertTrue(Date.now() - Date.parse(meta.pulled_at!) < 60_000);
    assertEquals(model, {
      ref: "hf:karpathy/tinyllamas:stories260K@main",
      path: dir,
      commit,
      format: "llama2c",
    });
    for (const file of manifest.repos[0].files) {
      const name = file.path.split("/").pop()!;
      assertEquals(sha256(await Deno.readFile(join(dir, "source", name))), file.sha256);
    }
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))), {
      source_bytes: 1056540 + 6227,
    });
    assertEquals(imports.length, 1);
    assertEquals((await Deno.readTextFile(join(dir, "..", "refs", "main"))).trim(), commit);
    assertEquals(entries(join(home, "models", ".tmp")), []);
    assertEquals([...new Set(events.map((e) => e.stage))], [
      "resolving",
      "downloading",
      "verifying",
      "importing",
      "ready",
    ]);
    // The two files download side by side: each is downloaded, then verified.
    for (const file of ["stories260K.bin", "tok512.bin"]) {
      const own = events.filter((e) => e.file === file).map((e) => e.stage);
      assertEquals([own[0], own.at(-1)], ["downloading", "verifying"], file);
    }
    assertEquals(events.slice(-2).map((e) => e.stage), ["importing", "ready"]);
    assertEquals(resolveRequests(hub).length, 2);
  });
});

Deno.test("a second pull of the same reference downloads and imports nothing", { ignore }, async () => {
  await withSetup(async ({ hub, home, imports, importLlama2c, env }) => {
    const first = await ensureModel(TINY, { home, env, importLlama2c });
    hub.requests.length = 0;
    const events: PullProgress[] = [];
    const second = await ensureModel(TINY, { home, env, importLlama2c, onProgress: (p) => events.push(p) });
    assertEquals(second, first);
    assertEquals(resolveRequests(hub), []);
    assertEquals(imports.length, 1);
    assertEquals(events.map((e) => e.stage), ["resolving", "ready"]);
  });
});

Deno.test("a complete local copy is used when the hub cannot be reached", { ignore }, async () => {
  await withSetup(async ({ home, importLlama2c, env }) => {
    const first = await ensureModel(TINY, { home, env, importLlama2c });
    const offline = { HF_ENDPOINT: closedPortUrl() };
    assertEquals(await ensureModel(TINY, { home, env: offline, importLlama2c }), first);
    const other = parseModelRef("hf:karpathy/tinyllamas:stories15M");
    const err = await assertRejects(
      () => ensureModel(other, { home, env: offline, importLlama2c }),
      RbeeError,
    );
    assertEquals(err.code, "HUB_UNREACHABLE");
  });
});

Deno.test("two concurrent pulls share one download", { ignore }, async () => {
  await withSetup(async ({ hub, home, imports, importLlama2c, env }) => {
    const seen: string[][] = [[], []];
    const [a, b] = await Promise.all(
      [0, 1].map((i) =>
        ensureModel(TINY, { home, env, importLlama2c, onProgress: (p) => seen[i].push(p.stage) })
      ),
    );
    assertEquals(a, b);
    assertEquals(resolveRequests(hub).length, 2);
    assertEquals(imports.length, 1);
    assertEquals([seen[0].at(-1), seen[1].at(-1)], ["ready", "ready"]);
  });
});

Deno.test("a caller that aborts leaves the shared pull running for the other", { ignore }, async () => {
  await withSetup(async ({ home, importLlama2c, env }) => {
    const controller = new AbortController();
    const quitter = ensureModel(TINY, { home, env, importLlama2c, signal: controller.signal });
    const stayer = ensureModel(TINY, { home, env, importLlama2c });
    controller.abort(new DOMException("changed my mind", "AbortError"));
    await assertRejects(() => quitter, DOMException);
    assertEquals((await stayer).commit, commit);
  });
});

Deno.test("an aborted pull leaves no model folder and no temporary files", { ignore }, async () => {
  await withSetup(async ({ home, importLlama2c, env }) => {
    const controller = new AbortController();
    const onProgress = (p: PullProgress) => p.stage === "downloading" && controller.abort();
    await assertRejects(
      () => ensureModel(TINY, { home, env, importLlama2c, onProgress, signal: controller.signal }),
      DOMException,
    );
    assertEquals(entries(join(home, "models", ".tmp")), []);
    assertEquals(entries(join(home, "models", "hf", "karpathy", "tinyllamas", "stories260K")), []);
  });
});

Deno.test("a missing subfolder is MODEL_NOT_FOUND", { ignore }, async () => {
  await withSetup(async ({ home, importLlama2c, env }) => {
    const ref = parseModelRef("hf:karpathy/tinyllamas:stories15M");
    const err = await assertRejects(() => ensureModel(ref, { home, env, importLlama2c }), RbeeError);
    assertEquals(err.code, "MODEL_NOT_FOUND");
  });
});

Deno.test(
  "a llama2.c model asked in another dtype than fp32 is refused before any download",
  { ignore },
  async () => {
    await withSetup(async ({ hub, home, importLlama2c, env }) => {
      const err = await assertRejects(
        () => ensureModel(TINY, { home, env, importLlama2c, dtype: "q4" }),
        RbeeError,
      );
      assertEquals(err.code, "INVALID_MODEL_FILE");
      assertStringIncludes(err.message, "fp32 only: dtype 'q4' does not exist for it");
      assertEquals(resolveRequests(hub), []);
      assertEquals(entries(join(home, "models")), []);
    });
  },
);

Deno.test(
  "a 401 on download is MODEL_ACCESS_DENIED, without the token, and cleans up",
  { ignore },
  async () => {
    await withSetup(async ({ hub, home, importLlama2c, env }) => {
      const withToken = { ...env, HF_TOKEN: SECRET };
      const err = await assertRejects(
        () => ensureModel(TINY, { home, env: withToken, importLlama2c }),
        RbeeError,
      );
      assertEquals(err.code, "MODEL_ACCESS_DENIED");
      assertStringIncludes(err.message, "HF_TOKEN");
      assertTrue(!JSON.stringify(err.toEnvelope()).includes(SECRET));
      assertTrue(hub.log.every((r) => r.authorized));
      assertEquals(entries(join(home, "models", ".tmp")), []);
      assertEquals(entries(join(home, "models", "hf", "karpathy", "tinyllamas", "stories260K")), []);
    }, { status: [{ prefix: "/karpathy/tinyllamas/resolve/", status: 401 }] });
  },
);

Deno.test("a listed path escaping the model folder is refused before any download", { ignore }, async () => {
  const evil = { path: "stories260K/../../../.bashrc", size: 3, lfs: false, git_oid: "0".repeat(40) };
  const hostile = { repos: [{ ...manifest.repos[0], files: [...manifest.repos[0].files, evil] }] };
  await withSetup(async ({ hub, home, importLlama2c, env }) => {
    const err = await assertRejects(() => ensureModel(TINY, { home, env, importLlama2c }), RbeeError);
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertEquals(resolveRequests(hub), []);
  }, { manifest: hostile });
});

Deno.test("an importer failure installs nothing", { ignore }, async () => {
  await withSetup(async ({ home, env }) => {
    const importLlama2c: ImportFn = () =>
      Promise.reject(new RbeeError("INVALID_MODEL_FILE", "Bad checkpoint"));
    const err = await assertRejects(() => ensureModel(TINY, { home, env, importLlama2c }), RbeeError);
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertEquals(entries(join(home, "models", ".tmp")), []);
    assertEquals(entries(join(home, "models", "hf", "karpathy", "tinyllamas", "stories260K")), []);
  });
});

Deno.test(
  "a disk that fills up while importing is INSUFFICIENT_DISK; the download is kept",
  { ignore },
  async () => {
    await withSetup(async ({ hub, home, env }) => {
      // An importer whose output lands on /dev/full fails as it would on a full disk (ENOSPC).
      const importLlama2c: ImportFn = () => Deno.writeFile("/dev/full", new Uint8Array(4096));
      const err = await assertRejects(() => ensureModel(TINY, { home, env, importLlama2c }), RbeeError);
      assertEquals(err.code, "INSUFFICIENT_DISK");
      assertStringIncludes(
        err.message,
        "The disk filled up while importing 'hf:karpathy/tinyllamas:stories260K@main'",
      );
      assertEquals(entries(join(home, "models", ".tmp")), []);
      // Once there is room, the next pull imports without downloading again.
      const downloads = resolveRequests(hub).length;
      const imported = await ensureModel(TINY, { home, env, importLlama2c: fakeImporter([]) });
      assertTrue(imported.path.includes("stories260K"), imported.path);
      assertEquals(resolveRequests(hub).length, downloads);
    });
  },
);

Deno.test("the files of a model download side by side", { ignore }, async () => {
  let inFlight = 0;
  let most = 0;
  // Each answer takes 100 ms to start, as over a link with latency.
  const latency: FakeHubOptions["faults"] = async (req, next) => {
    if (!req.path.includes("/resolve/")) return next();
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 100));
    inFlight--;
    return next();
  };
  await withSetup(async ({ home, importLlama2c, env }) => {
    await ensureModel(TINY, { home, env, importLlama2c });
    assertEquals(most, 2); // the checkpoint and the tokenizer at once
  }, { faults: latency });
});

Deno.test("an ONNX-layout repository downloads only the files the worker loads", async () => {
  const root = await Deno.makeTempDir();
  const pinned = "1".repeat(40);
  const names = ["config.json", "tokenizer.json", "tokenizer_config.json", "README.md", "onnx/model.onnx"];
  const files = [];
  for (const name of [...names, "onnx/model_quantized.onnx"]) {
    const bytes = new TextEncoder().encode(`bytes of ${name}`);
    await Deno.mkdir(join(root, "acme", "tiny", "resolve", "main", "onnx"), { recursive: true });
    await Deno.writeFile(join(root, "acme", "tiny", "resolve", "main", name), bytes);
    const lfs = name.endsWith(".onnx");
    files.push({ path: name, size: bytes.length, lfs, ...(lfs && { sha256: sha256(bytes) }) });
  }
  const hub = await startFakeHub({ root, manifest: { repos: [{ id: "acme/tiny", commit: pinned, files }] } });
  const home = await Deno.makeTempDir();
  try {
    const opts = { home, env: { HF_ENDPOINT: hub.url }, importLlama2c: fakeImporter([]) };
    const { meta: _meta, ...model } = await ensureModel(parseModelRef("hf:acme/tiny"), opts);
    assertEquals(model, {
      ref: "hf:acme/tiny@main",
      path: join(home, "models/hf/acme/tiny/_", pinned),
      commit: pinned,
      format: "onnx",
    });
    assertEquals(entries(model.path), [
      "config.json",
      "onnx",
      "rbee_model.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    assertEquals(entries(join(model.path, "onnx")), ["model.onnx"]);
    hub.requests.length = 0;
    // A pinned commit already on disk cannot have changed: the hub is not asked at all.
    const { meta: _again, ...again } = await ensureModel(parseModelRef(`hf:acme/tiny@${pinned}`), opts);
    assertEquals(again, {
      ...model,
      ref: `hf:acme/tiny@${pinned}`,
    });
    assertEquals(hub.requests, []);
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});
