import { join } from "node:path";
import type { Logger } from "../../shared/log.ts";
import { assertEquals, assertStringIncludes, assertTrue, withTempDir } from "../../shared/testing.ts";
import { Catalog, catalogPath } from "./catalog.ts";

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    debug: () => {},
    info: (m: string) => void lines.push(m),
    warn: (m: string) => void lines.push(m),
    error: (m: string) => void lines.push(m),
    with: () => log,
  };
  return log as unknown as Logger & { lines: string[] };
}

async function installFolder(home: string, rel: string, meta: Record<string, unknown>, bytes = 10) {
  const dir = join(home, "models", rel);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array(bytes));
  await Deno.writeTextFile(join(dir, "rbee_model.json"), JSON.stringify(meta));
  return dir;
}

const COMMIT = "a".repeat(40);
const META = {
  ref: "hf:acme/tiny@main",
  format: "onnx",
  commit: COMMIT,
  files: [{ path: "onnx/model.onnx", size: 10, sha256: "b".repeat(64) }],
  pulled_at: "2026-01-02T03:04:05.000Z",
};

Deno.test("a missing catalog is rebuilt from the model folders, and says so", async () => {
  await withTempDir(async (home) => {
    const dir = await installFolder(home, `hf/acme/tiny/_/${COMMIT}`, META);
    // Work areas are not models.
    await installFolder(home, `.downloads/hf/acme/other/_/${COMMIT}`, { ...META, ref: "hf:acme/other@main" });
    const log = memoryLog();
    const catalog = await Catalog.open(home, log);
    assertEquals(catalog.list(), [{
      ref: "hf:acme/tiny@main",
      commit: COMMIT,
      format: "onnx",
      dtype: "fp32",
      path: dir,
      size: 10 + (await Deno.stat(join(dir, "rbee_model.json"))).size,
      files: META.files,
      pulled_at: META.pulled_at,
      last_used: null,
    }]);
    assertStringIncludes(log.lines.join("\n"), "Model catalog was missing; rebuilt");
    catalog.close();
  });
});

Deno.test("a corrupt catalog is set aside and rebuilt instead of failing the start", async () => {
  await withTempDir(async (home) => {
    await installFolder(home, `hf/acme/tiny/_/${COMMIT}`, META);
    await Deno.writeTextFile(catalogPath(home), "this is not a database ".repeat(200));
    const log = memoryLog();
    const catalog = await Catalog.open(home, log);
    assertEquals(catalog.list().map((e) => e.ref), ["hf:acme/tiny@main"]);
    assertStringIncludes(log.lines.join("\n"), "was corrupt");
    assertTrue((await Deno.stat(catalogPath(home) + ".corrupt")).isFile);
    catalog.close();
  });
});

Deno.test("entries survive a reopen, keep their last use, and can be removed", async () => {
  await withTempDir(async (home) => {
    const dir = await installFolder(home, `hf/acme/tiny/_/${COMMIT}`, META);
    const first = await Catalog.open(home, memoryLog());
    first.touch("hf:acme/tiny@main", "fp32", new Date("2026-02-03T00:00:00Z"));
    // A new pull of the same model does not forget when it was last used.
    first.upsert({ ...first.get("hf:acme/tiny@main")[0], last_used: null });
    first.close();
    const log = memoryLog();
    const again = await Catalog.open(home, log);
    assertEquals(log.lines, []);
    assertEquals(again.get("hf:acme/tiny@main")[0]?.last_used, "2026-02-03T00:00:00.000Z");
    assertEquals(again.byPath(dir).length, 1);
    again.remove("hf:acme/tiny@main", "fp32");
    assertEquals(again.list(), []);
    again.close();
  });
});

Deno.test("one reference in several precisions is one entry per dtype, fp32 first", async () => {
  await withTempDir(async (home) => {
    await installFolder(home, `hf/acme/tiny/_/${COMMIT}-q8`, { ...META, dtype: "q8" });
    await installFolder(home, `hf/acme/tiny/_/${COMMIT}`, META);
    const catalog = await Catalog.open(home, memoryLog());
    assertEquals(catalog.get("hf:acme/tiny@main").map((e) => e.dtype), ["fp32", "q8"]);
    assertEquals(catalog.get("hf:acme/tiny@main", "q8").map((e) => e.path), [
      join(home, "models", `hf/acme/tiny/_/${COMMIT}-q8`),
    ]);
    catalog.touch("hf:acme/tiny@main", "q8");
    assertEquals(catalog.list().map((e) => [e.dtype, e.last_used === null]), [["fp32", true], ["q8", false]]);
    catalog.remove("hf:acme/tiny@main", "fp32");
    assertEquals(catalog.list().map((e) => e.dtype), ["q8"]);
    catalog.close();
  });
});

Deno.test("a catalog from before dtypes (one row per reference) is rebuilt from the folders", async () => {
  await withTempDir(async (home) => {
    await installFolder(home, `hf/acme/tiny/_/${COMMIT}`, META);
    const { DatabaseSync } = await import("node:sqlite");
    const old = new DatabaseSync(catalogPath(home));
    old.exec("CREATE TABLE models (ref TEXT PRIMARY KEY, dtype TEXT NOT NULL)");
    old.close();
    const log = memoryLog();
    const catalog = await Catalog.open(home, log);
    assertStringIncludes(log.lines.join("\n"), "was from an older rbee; rebuilt");
    assertEquals(catalog.list().map((e) => [e.ref, e.dtype]), [["hf:acme/tiny@main", "fp32"]]);
    catalog.close();
    const reopened = memoryLog();
    (await Catalog.open(home, reopened)).close();
    assertEquals(reopened.lines, []);
  });
});
