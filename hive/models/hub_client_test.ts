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
  mirrorFixture,
  startFakeHub,
} from "../../tests/support/fake_hub.ts";
import {
  checkModelFilePath,
  hubFromEnv,
  hubStatusError,
  listModelFiles,
  resolveCommit,
} from "./hub_client.ts";

const { dir: mirror, manifest, commit } = mirrorFixture();
const ignore = mirror === null;
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
