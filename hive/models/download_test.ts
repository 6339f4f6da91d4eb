import { createHash } from "node:crypto";
import { join } from "node:path";
import { RbeeError } from "../../shared/errors.ts";
import { type HfModelRef, parseModelRef } from "../../shared/model_ref.ts";
import { assertEquals, assertRejects, assertStringIncludes, assertTrue } from "../../shared/testing.ts";
import {
  type FakeHub,
  type FakeHubOptions,
  mirrorFixture,
  startFakeHub,
} from "../../tests/support/fake_hub.ts";
import { downloadFile, type DownloadProgress, type DownloadSettings } from "./download.ts";
import { type HubFile, hubFromEnv, listModelFiles } from "./hub_client.ts";

const { dir: mirror, commit } = mirrorFixture();
const ignore = mirror === null;
const ref = parseModelRef("hf:karpathy/tinyllamas:stories260K") as HfModelRef;
const SECRET = "hf_test_secret_do_not_leak";
const FAST: DownloadSettings = {
  attempts: 4,
  stallMs: 300,
  backoffMs: 10,
  maxBackoffMs: 50,
  threadFromBytes: null,
};

/**
 * Registers a test of a download's bytes twice: hashed and written on the reading thread,
 * and on a thread of its own (forced for these small files; by default only big files get one).
 */
function testBothWriters(name: string, fn: (fast: DownloadSettings) => Promise<void>) {
  for (const [how, threadFromBytes] of [["inline", null], ["on a thread", 0]] as const) {
    Deno.test(`${name} (written ${how})`, { ignore }, () => fn({ ...FAST, threadFromBytes }));
  }
}

async function withHub(
  fn: (hub: FakeHub, tmp: string, checkpoint: HubFile) => Promise<void>,
  opts: Partial<FakeHubOptions> = {},
) {
  const hub = await startFakeHub({ root: mirror!, ...opts });
  const tmp = await Deno.makeTempDir();
  try {
    const files = await listModelFiles(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit);
    await fn(hub, tmp, files.find((f) => f.path === "stories260K.bin")!);
  } finally {
    await hub.close();
    await Deno.remove(tmp, { recursive: true });
  }
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

const isDownload = (path: string) => path.includes("/resolve/");

/** Answers the first `times` downloads with half the body, then drops the connection. */
function dropHalfway(times: number, ranges: (string | null)[]): FakeHubOptions["faults"] {
  let dropped = 0;
  return async (req, next) => {
    const res = await next();
    if (!isDownload(req.path)) return res;
    ranges.push(res.headers.get("content-range"));
    if (dropped >= times) return res;
    dropped++;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(bytes.slice(0, bytes.length >> 1));
      },
      async pull(ctl) {
        await new Promise((r) => setTimeout(r, 20));
        ctl.error(new Error("connection dropped"));
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
}

testBothWriters("downloads through .part with progress, matching the manifest's sha256", async (fast) => {
  await withHub(async (hub, tmp, file) => {
    const events: DownloadProgress[] = [];
    const dest = join(tmp, "sub", "stories260K.bin");
    await downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, {
      onProgress: (p) => events.push(p),
      settings: fast,
    });
    assertEquals(await sha256File(dest), file.sha256);
    assertEquals(names(join(tmp, "sub")), ["stories260K.bin"]);
    assertEquals(events.at(-1), { stage: "verifying", bytes_done: file.size, bytes_total: file.size });
    assertTrue(events.every((e, i) => i === 0 || e.bytes_done >= events[i - 1].bytes_done));
  });
});

testBothWriters("a connection dropped halfway resumes with Range and the result verifies", async (fast) => {
  const ranges: (string | null)[] = [];
  await withHub(async (hub, tmp, file) => {
    const dest = join(tmp, "m.bin");
    const retries: string[] = [];
    await downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, {
      settings: fast,
      onRetry: (r) => retries.push(r.error.code),
    });
    assertEquals(await sha256File(dest), file.sha256);
    assertEquals(retries, ["HUB_UNREACHABLE", "HUB_UNREACHABLE"]);
    // The second request asks for the rest after the first half, the third for the rest after that.
    const half = file.size >> 1;
    const quarter = (file.size - half) >> 1;
    assertEquals(ranges, [
      null,
      `bytes ${half}-${file.size - 1}/${file.size}`,
      `bytes ${half + quarter}-${file.size - 1}/${file.size}`,
    ]);
    assertEquals(names(tmp), ["m.bin"]);
  }, { faults: dropHalfway(2, ranges) });
});

testBothWriters(
  "a download that keeps failing gives up after its attempts and keeps its .part",
  async (fast) => {
    const ranges: (string | null)[] = [];
    await withHub(async (hub, tmp, file) => {
      const dest = join(tmp, "m.bin");
      const hf = hubFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: SECRET });
      const err = await assertRejects(
        () => downloadFile(hf, ref, commit, file, dest, { settings: { ...fast, attempts: 3 } }),
        RbeeError,
      );
      assertEquals([err.code, err.details?.attempts], ["HUB_UNREACHABLE", 3]);
      assertStringIncludes(err.message, hub.url);
      assertTrue(!JSON.stringify(err.toEnvelope()).includes(SECRET));
      assertEquals(ranges.length, 3);
      assertEquals(names(tmp), ["m.bin.part"]);
      // A later call (a new pull, or the hive after a restart) resumes from the .part.
      ranges.length = 0;
      await downloadFile(hf, ref, commit, file, dest, { settings: fast });
      assertEquals(await sha256File(dest), file.sha256);
      assertTrue(ranges[0]!.startsWith("bytes "), String(ranges[0]));
    }, { faults: dropHalfway(3, ranges) });
  },
);

Deno.test("a stalled transfer is retried, then fails with DOWNLOAD_STALLED", { ignore }, async () => {
  let requests = 0;
  const faults: FakeHubOptions["faults"] = async (req, next) => {
    const res = await next();
    if (!isDownload(req.path)) return res;
    requests++;
    // Sends a little, then nothing at all, while the connection stays open.
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(new Uint8Array(1000));
      },
      pull: () => new Promise(() => {}),
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  await withHub(async (hub, tmp, file) => {
    const started = performance.now();
    const err = await assertRejects(
      () =>
        downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, join(tmp, "m.bin"), {
          settings: { ...FAST, attempts: 2 },
        }),
      RbeeError,
    );
    assertEquals([err.code, err.details?.stall_ms, err.details?.attempts], ["DOWNLOAD_STALLED", 300, 2]);
    assertStringIncludes(err.message, "stalled: no data for 0.3 s");
    assertEquals(requests, 2);
    assertTrue(performance.now() - started >= 600);
  }, { faults });
});

Deno.test("a hub that never answers the request is a stall too", { ignore }, async () => {
  // Answers only after the client gave up (the hub's shutdown waits for every answer).
  const late = (next: () => Promise<Response>) => new Promise<void>((r) => setTimeout(r, 800)).then(next);
  const faults: FakeHubOptions["faults"] = (req, next) => isDownload(req.path) ? late(next) : next();
  await withHub(async (hub, tmp, file) => {
    const err = await assertRejects(
      () =>
        downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, join(tmp, "m.bin"), {
          settings: { ...FAST, attempts: 1 },
        }),
      RbeeError,
    );
    assertEquals(err.code, "DOWNLOAD_STALLED");
  }, { faults });
});

Deno.test("a slow link that keeps sending is not a stall", { ignore }, async () => {
  const faults: FakeHubOptions["faults"] = async (req, next) => {
    const res = await next();
    if (!isDownload(req.path)) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    let at = 0;
    const step = Math.ceil(bytes.length / 8);
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        await new Promise((r) => setTimeout(r, 100));
        ctl.enqueue(bytes.slice(at, at + step));
        at += step;
        if (at >= bytes.length) ctl.close();
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  await withHub(async (hub, tmp, file) => {
    const retries: unknown[] = [];
    const dest = join(tmp, "m.bin");
    await downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, {
      settings: FAST,
      onRetry: (r) => retries.push(r),
    });
    assertEquals(retries, []);
    assertEquals(await sha256File(dest), file.sha256);
  }, { faults });
});

testBothWriters(
  "corrupt bytes fail with CHECKSUM_MISMATCH, are not retried and leave nothing",
  async (fast) => {
    let requests = 0;
    const faults: FakeHubOptions["faults"] = async (req, next) => {
      const res = await next();
      if (!isDownload(req.path)) return res;
      requests++;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[100] ^= 0xff;
      return new Response(bytes, { headers: res.headers });
    };
    await withHub(async (hub, tmp, file) => {
      const err = await assertRejects(
        () =>
          downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, join(tmp, "m.bin"), {
            settings: fast,
          }),
        RbeeError,
      );
      assertEquals(err.code, "CHECKSUM_MISMATCH");
      assertEquals(requests, 1);
      assertEquals(names(tmp), []);
    }, { faults });
  },
);

testBothWriters("a server that ignores Range restarts the file from the beginning", async (fast) => {
  await withHub(async (hub, tmp, file) => {
    const dest = join(tmp, "m.bin");
    // Kept, these bytes would fail the checksum.
    await Deno.writeFile(dest + ".part", new Uint8Array(5000).fill(7));
    await downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, { settings: fast });
    assertEquals(await sha256File(dest), file.sha256);
    assertEquals(hub.log.filter((r) => isDownload(r.path)).map((r) => r.range), ["bytes=5000-"]);
  }, { ignoreRange: true });
});

Deno.test("the token is not sent to another origin after a redirect", { ignore }, async () => {
  const cdn = await startFakeHub({ root: mirror! });
  const faults: FakeHubOptions["faults"] = (req, next) =>
    isDownload(req.path) ? Response.redirect(cdn.url + req.path, 302) : next();
  try {
    await withHub(async (hub, tmp) => {
      const hf = hubFromEnv({ HF_ENDPOINT: hub.url, HF_TOKEN: SECRET });
      const [, tok] = await listModelFiles(hf, ref, commit);
      await downloadFile(hf, ref, commit, tok, join(tmp, "tok.bin"));
      assertEquals(await sha256File(join(tmp, "tok.bin")), tok.sha256);
      assertEquals(hub.log.filter((r) => isDownload(r.path)).map((r) => r.authorized), [true]);
      assertEquals(cdn.log.map((r) => r.authorized), [false]);
    }, { faults });
  } finally {
    await cdn.close();
  }
});

Deno.test(
  "an aborted download rejects with the abort reason and keeps its .part to resume",
  { ignore },
  async () => {
    await withHub(async (hub, tmp, file) => {
      const controller = new AbortController();
      const onProgress = () => controller.abort(new DOMException("stop", "AbortError"));
      const dest = join(tmp, "m.bin");
      await assertRejects(
        () =>
          downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, {
            signal: controller.signal,
            onProgress,
          }),
        DOMException,
      );
      assertTrue(names(tmp).every((n) => n === "m.bin.part"));
    });
  },
);

testBothWriters(
  "a disk that fills up mid-download fails with INSUFFICIENT_DISK, not as a network error",
  async (fast) => {
    await withHub(async (hub, tmp, file) => {
      const dest = join(tmp, "m.bin");
      // The download's part file is /dev/full: every write fails with ENOSPC, as on a full disk.
      await Deno.symlink("/dev/full", `${dest}.part`);
      const err = await assertRejects(
        () => downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, { settings: fast }),
        RbeeError,
      );
      assertEquals([err.code, err.status], ["INSUFFICIENT_DISK", 507]);
      assertStringIncludes(err.message, "The disk filled up while downloading 'stories260K.bin'");
      assertStringIncludes(err.message, "free some space and pull again");
      // Not retried: another attempt cannot succeed until the user frees space.
      assertEquals(hub.requests.filter(isDownload).length, 1);
      assertEquals(names(tmp), ["m.bin.part"]);
    });
  },
);

Deno.test(
  "another disk failure names the file and the OS's reason, never a server path",
  { ignore },
  async () => {
    await withHub(async (hub, tmp, file) => {
      const dest = join(tmp, "m.bin");
      // The part file links into a folder that does not exist: opening it fails with ENOENT,
      // and Deno's message ends with the path it tried.
      await Deno.symlink(join(tmp, "gone", "m.bin.part"), `${dest}.part`);
      const err = await assertRejects(
        () => downloadFile(hubFromEnv({ HF_ENDPOINT: hub.url }), ref, commit, file, dest, { settings: FAST }),
        RbeeError,
      );
      assertEquals(err.code, "INTERNAL");
      assertStringIncludes(
        err.message,
        "Cannot store 'stories260K.bin' for 'hf:karpathy/tinyllamas:stories260K",
      );
      assertStringIncludes(err.message, "No such file or directory (os error 2)");
      assertTrue(!JSON.stringify(err.toEnvelope()).includes(tmp), err.message);
    });
  },
);
