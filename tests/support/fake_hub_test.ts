import { createHash } from "node:crypto";
import { assertEquals, assertTrue } from "../../shared/testing.ts";
import { type FakeHub, hfMirrorDir, hubError, type MirrorManifest, startFakeHub } from "./fake_hub.ts";

const mirror = hfMirrorDir();
const ignore = mirror === null;
const manifest = mirror
  ? JSON.parse(Deno.readTextFileSync(`${mirror}/MANIFEST.json`)) as MirrorManifest
  : { repos: [] };
const repo = manifest.repos[0];
const checkpoint = repo?.files.find((f) => f.path.endsWith("stories260K.bin"));

async function withHub(
  fn: (hub: FakeHub) => Promise<void>,
  opts: Partial<Parameters<typeof startFakeHub>[0]> = {},
) {
  const hub = await startFakeHub({ root: mirror!, ...opts });
  try {
    await fn(hub);
  } finally {
    await hub.close();
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test("hfMirrorDir finds the shared mirror next to the repository", { ignore }, () => {
  assertTrue(mirror!.endsWith("/shared/hf-mirror"));
});

Deno.test("revision API resolves main and the full commit to the manifest's commit", { ignore }, async () => {
  await withHub(async (hub) => {
    for (const rev of ["main", repo.commit]) {
      const res = await fetch(`${hub.url}/api/models/karpathy/tinyllamas/revision/${rev}`);
      const body = await res.json();
      assertEquals(body.sha, repo.commit);
      assertEquals(body.id, "karpathy/tinyllamas");
      assertEquals(body.siblings, repo.files.map((f) => ({ rfilename: f.path })));
    }
  });
});

Deno.test("tree API lists a subfolder recursively with sizes and LFS sha256", { ignore }, async () => {
  await withHub(async (hub) => {
    const res = await fetch(`${hub.url}/api/models/karpathy/tinyllamas/tree/main/stories260K?recursive=true`);
    const entries = await res.json();
    const files = entries.filter((e: { type: string }) => e.type === "file");
    assertEquals(
      files.map((e: { path: string; size: number; lfs: { oid: string } }) => [e.path, e.size, e.lfs.oid]),
      repo.files.map((f) => [f.path, f.size, f.sha256]),
    );
    // As on the hub, an LFS file's git object is its pointer file.
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${files[0].lfs.oid}\nsize ${
      files[0].size
    }\n`;
    const blobOid = createHash("sha1").update(`blob ${pointer.length}\0${pointer}`).digest("hex");
    assertEquals([files[0].oid, files[0].lfs.pointerSize], [blobOid, pointer.length]);
    const root = await (await fetch(`${hub.url}/api/models/karpathy/tinyllamas/tree/main`)).json();
    assertEquals(root.map((e: { type: string; path: string }) => [e.type, e.path]), [[
      "directory",
      "stories260K",
    ]]);
  });
});

Deno.test("resolve serves the mirror's bytes with the hub's headers", { ignore }, async () => {
  await withHub(async (hub) => {
    const res = await fetch(`${hub.url}/karpathy/tinyllamas/resolve/main/${checkpoint!.path}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assertEquals(res.status, 200);
    assertEquals(sha256(bytes), checkpoint!.sha256);
    assertEquals(res.headers.get("x-repo-commit"), repo.commit);
    assertEquals(res.headers.get("x-linked-etag"), `"${checkpoint!.sha256}"`);
    assertEquals(res.headers.get("x-linked-size"), String(checkpoint!.size));
    const head = await fetch(`${hub.url}/karpathy/tinyllamas/resolve/${repo.commit}/${checkpoint!.path}`, {
      method: "HEAD",
    });
    await head.body?.cancel();
    assertEquals([head.status, head.headers.get("content-length")], [200, String(checkpoint!.size)]);
  });
});

Deno.test("resolve honours Range: bytes=N-", { ignore }, async () => {
  await withHub(async (hub) => {
    const url = `${hub.url}/karpathy/tinyllamas/resolve/main/${checkpoint!.path}`;
    const full = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const res = await fetch(url, { headers: { range: "bytes=1000-" } });
    const tail = new Uint8Array(await res.arrayBuffer());
    assertEquals(res.status, 206);
    assertEquals(res.headers.get("content-range"), `bytes 1000-${full.length - 1}/${full.length}`);
    assertEquals(tail, full.subarray(1000));
    const past = await fetch(url, { headers: { range: `bytes=${full.length}-` } });
    await past.body?.cancel();
    assertEquals(past.status, 416);
  });
});

Deno.test("unknown repositories, revisions and files answer 404 like the hub", { ignore }, async () => {
  await withHub(async (hub) => {
    const cases = [
      ["/api/models/karpathy/nope/revision/main", "RepoNotFound"],
      ["/api/models/karpathy/tinyllamas/revision/v9", "RevisionNotFound"],
      ["/karpathy/tinyllamas/resolve/main/stories260K/missing.bin", "EntryNotFound"],
      ["/api/models/karpathy/tinyllamas/tree/main/missing", "EntryNotFound"],
    ];
    for (const [path, code] of cases) {
      const res = await fetch(hub.url + path);
      await res.body?.cancel();
      assertEquals([res.status, res.headers.get("x-error-code")], [404, code], path);
    }
  });
});

Deno.test("records that a bearer token was sent, never the token", { ignore }, async () => {
  await withHub(async (hub) => {
    const secret = "hf_fake_hub_secret_123";
    const res = await fetch(`${hub.url}/api/models/karpathy/tinyllamas/revision/main`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    await res.body?.cancel();
    assertEquals(hub.log, [{
      method: "GET",
      path: "/api/models/karpathy/tinyllamas/revision/main",
      authorized: true,
      range: null,
    }]);
    assertTrue(!JSON.stringify([hub.log, hub.requests]).includes(secret));
  });
});

Deno.test("status overrides force an error for a path prefix", { ignore }, async () => {
  const status = [{ prefix: "/karpathy/", status: 401 as const }];
  await withHub(async (hub) => {
    const denied = await fetch(`${hub.url}/karpathy/tinyllamas/resolve/main/${checkpoint!.path}`);
    await denied.body?.cancel();
    assertEquals(denied.status, 401);
    const api = await fetch(`${hub.url}/api/models/karpathy/tinyllamas/revision/main`);
    await api.body?.cancel();
    assertEquals(api.status, 200);
  }, { status });
});

Deno.test("the faults hook wraps every answer", { ignore }, async () => {
  const faults = (req: { path: string }, next: () => Promise<Response>) =>
    req.path.includes("tok512") ? hubError(503, null, "Service unavailable") : next();
  await withHub(async (hub) => {
    const res = await fetch(`${hub.url}/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin`);
    await res.body?.cancel();
    assertEquals(res.status, 503);
    assertEquals(hub.requests, ["/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin"]);
  }, { faults });
});

Deno.test("never serves a path outside the mirror, even when a manifest lists one", { ignore }, async () => {
  const evil = {
    path: "stories260K/../../../../../MANIFEST.json",
    size: 10,
    lfs: false,
    git_oid: "0".repeat(40),
  };
  const hostile = { repos: [{ ...repo, files: [...repo.files, evil] }] };
  await withHub(async (hub) => {
    // Encoded slashes survive URL normalisation, so this path reaches the handler as listed.
    const res = await fetch(`${hub.url}/karpathy/tinyllamas/resolve/main/${encodeURIComponent(evil.path)}`);
    await res.body?.cancel();
    assertEquals(res.status, 404);
  }, { manifest: hostile });
});
