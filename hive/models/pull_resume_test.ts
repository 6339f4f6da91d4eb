import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { type HfModelRef, parseModelRef } from "../../shared/model_ref.ts";
import { assertEquals, assertRejects, assertStringIncludes, assertTrue } from "../../shared/testing.ts";
import { existsSync } from "node:fs";
import { type FakeHubOptions, mirrorFixture, startFakeHub } from "../../tests/support/fake_hub.ts";
import { eventually } from "../../tests/support/supervised.ts";
import { hfDownloadDir } from "./model_store.ts";
import type { DownloadSettings } from "./download.ts";
import { ensureModel, type EnsureModelOptions, type ImportFn, type PullProgress } from "./pull.ts";

const { dir: mirror, commit } = mirrorFixture();
const ignore = mirror === null;
const TINY = parseModelRef("hf:karpathy/tinyllamas:stories260K");
// Every file is hashed and written on a thread of its own here (by default only big ones are).
const FAST: DownloadSettings = {
  attempts: 3,
  stallMs: 500,
  backoffMs: 5,
  maxBackoffMs: 20,
  threadFromBytes: 0,
};
const importLlama2c: ImportFn = (o) => Deno.writeTextFile(join(o.outDir, "config.json"), "{}");
const isDownload = (path: string) => path.includes("/resolve/");

async function withPull(
  fn: (
    pull: (extra?: Partial<EnsureModelOptions>) => ReturnType<typeof ensureModel>,
    home: string,
  ) => Promise<void>,
  hubOpts: Partial<FakeHubOptions> = {},
) {
  const hub = await startFakeHub({ root: mirror!, ...hubOpts });
  const home = await Deno.makeTempDir();
  const pull = (extra: Partial<EnsureModelOptions> = {}) =>
    ensureModel(TINY, { home, env: { HF_ENDPOINT: hub.url }, importLlama2c, download: FAST, ...extra });
  try {
    await fn(pull, home);
  } finally {
    await hub.close();
    await Deno.remove(home, { recursive: true });
  }
}

function installed(home: string): string[] {
  try {
    return [...Deno.readDirSync(join(home, "models/hf/karpathy/tinyllamas/stories260K"))].map((e) => e.name);
  } catch {
    return [];
  }
}

Deno.test("a pull reports whole-pull totals, speed and time left while downloading", { ignore }, async () => {
  // A slow link (the checkpoint in 8 parts, 150 ms apart), so that speed and time left become known.
  const slowLink: FakeHubOptions["faults"] = async (req, next) => {
    const res = await next();
    if (!req.path.endsWith("stories260K.bin")) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const step = Math.ceil(bytes.length / 8);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        ctl.enqueue(bytes.slice(at, at += step));
        if (at >= bytes.length) ctl.close();
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  await withPull(async (pull) => {
    const events: PullProgress[] = [];
    await pull({ onProgress: (p) => events.push(p) });
    const downloading = events.filter((e) => e.stage === "downloading");
    assertTrue(downloading.every((e) => e.total_bytes === 1056540 + 6227));
    const totals = downloading.map((e) => e.total_done!);
    assertTrue(totals.every((t, i) => i === 0 || t >= totals[i - 1]), String(totals));
    assertEquals(totals.at(-1), 1056540 + 6227);
    const measured = downloading.filter((e) => e.speed_bps !== undefined && e.eta_s !== undefined);
    assertTrue(measured.some((e) => e.speed_bps! > 0 && e.eta_s! > 0), JSON.stringify(downloading));
  }, { faults: slowLink });
});

Deno.test(
  "a pull whose connection drops halfway resumes and installs a verified model",
  { ignore },
  async () => {
    let dropped = false;
    const faults: FakeHubOptions["faults"] = async (req, next) => {
      const res = await next();
      if (!isDownload(req.path) || dropped) return res;
      dropped = true;
      const bytes = new Uint8Array(await res.arrayBuffer());
      const body = new ReadableStream<Uint8Array>({
        start: (ctl) => ctl.enqueue(bytes.slice(0, bytes.length >> 1)),
        pull: (ctl) => ctl.error(new Error("dropped")),
      });
      return new Response(body, { headers: res.headers });
    };
    await withPull(async (pull, home) => {
      const model = await pull();
      assertEquals(model.meta.files?.length, 2);
      assertEquals(installed(home).sort(), [model.commit!, "refs"].sort());
    }, { faults });
  },
);

Deno.test(
  "a failed pull keeps its finished files, and the next pull downloads only the rest",
  { ignore },
  async () => {
    let failTokenizer = true;
    let home = "";
    const downloads: string[] = [];
    const faults: FakeHubOptions["faults"] = async (req, next) => {
      if (!isDownload(req.path)) return next();
      downloads.push(req.path.split("/").pop()!);
      if (failTokenizer && req.path.endsWith("tok512.bin")) {
        // Files download side by side: fail only once the checkpoint is finished, so that
        // there is a finished file to keep (a sibling's failure stops unfinished ones).
        const checkpoint = join(hfDownloadDir(home, TINY as HfModelRef, commit), "stories260K.bin");
        await eventually("the checkpoint downloaded", () => existsSync(checkpoint));
        return new Response("busy", { status: 503 });
      }
      return next();
    };
    await withPull(async (pull, pullHome) => {
      home = pullHome;
      const err = await assertRejects(() => pull(), RbeeError);
      assertEquals([err.code, err.details?.attempts], ["HUB_ERROR", 3]);
      assertEquals(installed(home), []);
      assertEquals(downloads.sort(), ["stories260K.bin", "tok512.bin", "tok512.bin", "tok512.bin"]);
      downloads.length = 0;
      failTokenizer = false;
      await pull();
      assertEquals(downloads, ["tok512.bin"]);
      assertEquals(installed(home).length, 2);
      // Installed: the download area is gone.
      assertEquals([...Deno.readDirSync(join(home, "models", ".downloads"))], []);
    }, { faults });
  },
);

Deno.test("corrupt bytes fail the pull with CHECKSUM_MISMATCH and install nothing", { ignore }, async () => {
  const faults: FakeHubOptions["faults"] = async (req, next) => {
    const res = await next();
    if (!req.path.endsWith("tok512.bin")) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    bytes[7] ^= 1;
    return new Response(bytes, { headers: res.headers });
  };
  await withPull(async (pull, home) => {
    const err = await assertRejects(() => pull(), RbeeError);
    assertEquals([err.code, err.details?.file], ["CHECKSUM_MISMATCH", "tok512.bin"]);
    assertEquals(installed(home), []);
  }, { faults });
});

Deno.test(
  "a pull that does not fit on disk is refused up front with INSUFFICIENT_DISK",
  { ignore },
  async () => {
    await withPull(async (pull, home) => {
      const err = await assertRejects(() => pull({ freeBytes: () => Promise.resolve(500_000) }), RbeeError);
      assertEquals(err.code, "INSUFFICIENT_DISK");
      // Download plus the imported copy of the weights.
      assertEquals(err.details, {
        ref: "hf:karpathy/tinyllamas:stories260K@main",
        needed_bytes: 1056540 + 6227 + 1056540,
        free_bytes: 500_000,
      });
      assertStringIncludes(err.message, "needs 2.1 MB, 500 kB free");
      assertTrue(!err.message.includes(home));
      assertEquals(installed(home), []);
    });
  },
);
