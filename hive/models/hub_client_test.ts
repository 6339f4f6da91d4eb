import { createHash } from "node:crypto";
import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { type HfModelRef, parseModelRef } from "../../shared/model_ref.ts";
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
  assertTrue,
} from "../../shared/testing.ts";
import {
  closedPortUrl,
  type FakeHub,
  type FakeHubOptions,
  hfMirrorDir,
  type MirrorManifest,
  startFakeHub,
} from "../../tests/support/fake_hub.ts";
import {
  checkDownload,
  checkModelFilePath,
  downloadFile,
  type DownloadProgress,
  hubFromEnv,
  hubStatusError,
  listModelFiles,
  resolveCommit,
} from "./hub_client.ts";

const mirror = hfMirrorDir();
const ignore = mirror === null;
const manifest: MirrorManifest = mirror
  ? JSON.parse(Deno.readTextFileSync(join(mirror, "MANIFEST.json")))
  : { repos: [] };
const commit = manifest.repos[0]?.commit;
const ref = parseModelRef("hf:karpathy/tinyllamas:stories260K") as HfModelRef;
const SECRET = "hf_test_secret_do_not_leak";

async function withHub(fn: (hub: FakeHub, tmp: string) => Promise<void>, opts: Partial<FakeHubOptions> = {}) {
  const hub = await startFakeHub({ root: mirror!, ...opts });
  const tmp = await Deno.makeTempDir();
  try {
    await fn(hub, tmp);
  } finally {
    await hub.close();
    await Deno.remove(tmp, { recursive: true });
  }
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

Deno.test("hubFromEnv defaults to huggingface.co and never echoes a bad endpoint", () => {
  assertEquals(hubFromEnv({}), { endpoint: "https://huggingface.co", token: undefined });
  assertEquals(hubFromEnv({ HF_ENDPOINT: "http://mirror.local/hf/", HF_TOKEN: " t " }), {
    endpoint: "http://mirror.local/hf",
    token: "t",
  });
  const err = assertThrows(() => hubFromEnv({ HF_ENDPOINT: "ftp://user:pw@x" }), RbeeError);
  assertEquals(err.code, "HUB_UNREACHABLE");
  assertTrue(!err.message.includes("pw"));
});

Deno.test("checkModelFilePath refuses paths that would leave the model folder", () => {
  for (const bad of ["../x.bin", "a/../../x", "/etc/passwd", "a\\..\\x", "C:x", "a//b", "./x", "a\u0000b"]) {
    const err = assertThrows(() => checkModelFilePath(bad, "hf:o/r@main"), RbeeError, bad);
    assertEquals(err.code, "INVALID_MODEL_FILE");
  }
  assertEquals(checkModelFilePath("onnx/model.onnx", "hf:o/r@main"), "onnx/model.onnx");
});

Deno.test("checkDownload reports a wrong size or sha256", () => {
  const file = { path: "m.bin", repoPath: "m.bin", size: 3, sha256: "a".repeat(64) };
  assertEquals(checkDownload(file, { size: 3, sha256: "a".repeat(64) }), null);
  assertStringIncludes(checkDownload(file, { size: 2, sha256: "a".repeat(64) })!, "received 2 bytes");
  assertStringIncludes(
    checkDownload(file, { size: 3, sha256: "b".repeat(64) })!,
    `sha256 '${"b".repeat(64)}'`,
  );
  assertEquals(checkDownload({ ...file, sha256: undefined }, { size: 3, sha256: "c".repeat(64) }), null);
});

Deno.test("hubStatusError maps hub statuses to rbee codes", () => {
  const ctx = { ref: "hf:o/r@main", origin: "https://hub", hasToken: false };
  assertEquals(hubStatusError(404, "RepoNotFound", ctx).code, "MODEL_NOT_FOUND");
  assertEquals(hubStatusError(401, null, ctx).code, "MODEL_ACCESS_DENIED");
  assertEquals(hubStatusError(403, "GatedRepo", { ...ctx, hasToken: true }).code, "MODEL_ACCESS_DENIED");
  assertEquals(hubStatusError(500, null, ctx).code, "HUB_ERROR");
});

Deno.test("resolves main to the commit and sends HF_TOKEN as a bearer token", { ignore }, async () => {
  await withHub(async (hub) => {
    assertEquals(await resolveCommit(hubFromEnv({ HF_ENDPOINT: hub.url }), ref), commit);
    assertEquals(await resolveCommit(hubFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: SECRET }), ref), commit);
    assertEquals(hub.log.map((r) => r.authorized), [false, true]);
  });
});

Deno.test("lists the subfolder's files with their sizes and LFS sha256", { ignore }, async () => {
  await withHub(async (hub) => {
    const files = await listModelFiles(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit);
    assertEquals(
      files,
      manifest.repos[0].files.map((f) => ({
        path: f.path.slice("stories260K/".length),
        repoPath: f.path,
        size: f.size,
        sha256: f.sha256,
      })),
    );
  });
});

Deno.test(
  "downloads a file through .part with progress, matching the manifest's sha256",
  { ignore },
  async () => {
    await withHub(async (hub, tmp) => {
      const hf = hubFromEnv({ HF_ENDPOINT: hub.url });
      const [file] = (await listModelFiles(hf, ref, commit)).filter((f) => f.path === "stories260K.bin");
      const events: DownloadProgress[] = [];
      const dest = join(tmp, "sub", "stories260K.bin");
      await downloadFile(hf, ref, commit, file, dest, { onProgress: (p) => events.push(p) });
      assertEquals(await sha256File(dest), manifest.repos[0].files[0].sha256);
      assertEquals([...Deno.readDirSync(join(tmp, "sub"))].map((e) => e.name), ["stories260K.bin"]);
      assertEquals(events.at(-1), { stage: "verifying", bytes_done: file.size, bytes_total: file.size });
      assertTrue(events.every((e, i) => i === 0 || e.bytes_done >= events[i - 1].bytes_done));
    });
  },
);

Deno.test("corrupt bytes fail with CHECKSUM_MISMATCH and leave nothing behind", { ignore }, async () => {
  const faults: FakeHubOptions["faults"] = async (req, next) => {
    const res = await next();
    if (!req.path.includes("/resolve/")) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    bytes[100] ^= 0xff;
    return new Response(bytes, { headers: res.headers });
  };
  await withHub(async (hub, tmp) => {
    const hf = hubFromEnv({ HF_ENDPOINT: hub.url });
    const [file] = await listModelFiles(hf, ref, commit);
    const dest = join(tmp, "model.bin");
    const err = await assertRejects(() => downloadFile(hf, ref, commit, file, dest), RbeeError);
    assertEquals(err.code, "CHECKSUM_MISMATCH");
    assertEquals([...Deno.readDirSync(tmp)], []);
  }, { faults });
});

Deno.test(
  "a connection dropped mid-download is HUB_UNREACHABLE and leaves no .part",
  { ignore },
  async () => {
    const faults: FakeHubOptions["faults"] = async (req, next) => {
      const res = await next();
      if (!req.path.includes("/resolve/")) return res;
      const body = new ReadableStream<Uint8Array>({
        pull(ctl) {
          ctl.enqueue(new Uint8Array(64 * 1024));
          ctl.error(new Error("dropped"));
        },
      });
      return new Response(body, { headers: res.headers });
    };
    await withHub(async (hub, tmp) => {
      const hf = hubFromEnv({ HF_ENDPOINT: hub.url });
      const [file] = await listModelFiles(hf, ref, commit);
      const err = await assertRejects(
        () => downloadFile(hf, ref, commit, file, join(tmp, "m.bin")),
        RbeeError,
      );
      assertEquals(err.code, "HUB_UNREACHABLE");
      assertEquals([...Deno.readDirSync(tmp)], []);
    }, { faults });
  },
);

Deno.test("404 is MODEL_NOT_FOUND for an unknown repository or revision", { ignore }, async () => {
  await withHub(async (hub) => {
    const hf = hubFromEnv({ HF_ENDPOINT: hub.url });
    for (const text of ["hf:karpathy/missing", "hf:karpathy/tinyllamas:stories260K@v9"]) {
      const err = await assertRejects(() => resolveCommit(hf, parseModelRef(text) as HfModelRef), RbeeError);
      assertEquals(err.code, "MODEL_NOT_FOUND");
    }
  });
});

Deno.test("401 is MODEL_ACCESS_DENIED naming HF_TOKEN without its value", { ignore }, async () => {
  await withHub(async (hub) => {
    const hf = hubFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: SECRET });
    const err = await assertRejects(() => resolveCommit(hf, ref), RbeeError);
    assertEquals(err.code, "MODEL_ACCESS_DENIED");
    assertStringIncludes(err.message, "HF_TOKEN");
    assertTrue(!JSON.stringify(err.toEnvelope()).includes(SECRET));
  }, { status: [{ prefix: "/api/models/karpathy/", status: 401 }] });
});

Deno.test("a closed port is HUB_UNREACHABLE naming the endpoint's origin", async () => {
  const endpoint = closedPortUrl();
  const hf = hubFromEnv({ HF_ENDPOINT: endpoint + "/some/path", HF_TOKEN: SECRET });
  const err = await assertRejects(() => resolveCommit(hf, ref), RbeeError);
  assertEquals(err.code, "HUB_UNREACHABLE");
  assertStringIncludes(err.message, `'${endpoint}'`);
  assertTrue(!err.message.includes("/some/path") && !err.message.includes(SECRET));
});

Deno.test("a listed path escaping the model folder is INVALID_MODEL_FILE", { ignore }, async () => {
  const evil = { path: "stories260K/../../evil.bin", size: 3, lfs: false, git_oid: "0".repeat(40) };
  const hostile = { repos: [{ ...manifest.repos[0], files: [...manifest.repos[0].files, evil] }] };
  await withHub(async (hub) => {
    const err = await assertRejects(
      () => listModelFiles(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit),
      RbeeError,
    );
    assertEquals(err.code, "INVALID_MODEL_FILE");
    assertStringIncludes(err.message, "'../../evil.bin'");
  }, { manifest: hostile });
});

Deno.test("the token is not sent to another origin after a redirect", { ignore }, async () => {
  const cdn = await startFakeHub({ root: mirror! });
  const faults: FakeHubOptions["faults"] = (req, next) =>
    req.path.includes("/resolve/") ? Response.redirect(cdn.url + req.path, 302) : next();
  try {
    await withHub(async (hub, tmp) => {
      const hf = hubFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: SECRET });
      const [, tok] = await listModelFiles(hf, ref, commit);
      await downloadFile(hf, ref, commit, tok, join(tmp, "tok.bin"));
      assertEquals(await sha256File(join(tmp, "tok.bin")), tok.sha256);
      assertEquals(hub.log.map((r) => r.authorized), [true, true]);
      assertEquals(cdn.log.map((r) => [r.path, r.authorized]), [[hub.log[1].path, false]]);
    }, { faults });
  } finally {
    await cdn.close();
  }
});

Deno.test("an aborted download rejects with the abort reason and leaves no .part", { ignore }, async () => {
  await withHub(async (hub, tmp) => {
    const hf = hubFromEnv({ HF_ENDPOINT: hub.url });
    const [file] = await listModelFiles(hf, ref, commit);
    const controller = new AbortController();
    const onProgress = () => controller.abort(new DOMException("stop", "AbortError"));
    const dest = join(tmp, "m.bin");
    await assertRejects(
      () => downloadFile(hf, ref, commit, file, dest, { signal: controller.signal, onProgress }),
      DOMException,
    );
    assertEquals([...Deno.readDirSync(tmp)], []);
  });
});
